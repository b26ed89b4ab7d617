"""Limits on a server of their own: per-client rate limits, hidden docs and metrics, CORS only when named."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Api, Caller, Server, World


@pytest.fixture(scope="module")
def limited(api: Api) -> Iterator[httpx.Client]:
    """A second API process on the same database, configured as a production deployment might be."""
    settings = api.settings.model_copy(
        update={
            "rate_limit_per_minute": 5,
            "token_rate_limit_per_minute": 3,
            "public_docs": False,
            "public_metrics": False,
            "cors_origins": ["https://teamapp.example"],
        }
    )
    with Server(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def _caller(world: World, http: httpx.Client) -> Caller:
    fresh = world.api.new_caller(world.orgs["housing"], ["record:read"])
    return Caller(http, fresh.client_id, fresh.secret, fresh.organisation_id)


def _token_request(http: httpx.Client, client_id: str, secret: str) -> Any:
    return http.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def test_a_client_over_its_limit_is_told_when_to_retry(world: World, limited: httpx.Client) -> None:
    caller = _caller(world, limited)
    statuses = [caller.get("/v1/cases").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = caller.get("/v1/cases")
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["Retry-After"]) >= 1
    # Another client is not held back by the first.
    assert _caller(world, limited).get("/v1/cases").status_code == 200


def test_token_requests_are_limited_before_the_secret_is_checked(world: World, limited: httpx.Client) -> None:
    caller = _caller(world, limited)
    statuses = [_token_request(limited, caller.client_id, "wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    blocked = _token_request(limited, caller.client_id, caller.secret)
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


def test_docs_and_metrics_can_be_kept_off_the_public_endpoint(api: Api, limited: httpx.Client) -> None:
    for path in ("/docs", "/openapi.json", "/metrics"):
        assert limited.get(path).status_code == 404, path
        assert api.http.get(path).status_code == 200, path


def test_cors_is_closed_unless_an_origin_is_named(api: Api, limited: httpx.Client) -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    allowed = limited.options("/v1/cases", headers={"Origin": "https://teamapp.example"} | preflight)
    assert allowed.headers.get("access-control-allow-origin") == "https://teamapp.example"
    other = limited.options("/v1/cases", headers={"Origin": "https://evil.example"} | preflight)
    assert "access-control-allow-origin" not in other.headers
    default = api.http.options("/v1/cases", headers={"Origin": "https://teamapp.example"} | preflight)
    assert "access-control-allow-origin" not in default.headers
