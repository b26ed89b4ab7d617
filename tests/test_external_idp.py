"""Tokens from an external identity provider: accepted when signed by a key it publishes, refused otherwise.

A small provider on loopback publishes an RSA and an EC key as JWKS; a second API process on the same
database trusts it. Every forged or broken token gets 401 with `WWW-Authenticate`.
"""

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import Api, Server, World
from wijkregistratie.core import external_tokens
from wijkregistratie.core.external_tokens import ExternalProvider

ISSUER = "https://idp.gemeente.example/realms/wijkteams"
OTHER_ISSUER = "https://login.ggz.example"


def _pem(private_key: Any) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _public_pem(private_key: Any) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class Provider:
    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.published = [self.public_jwk(self.rsa, "RS256", "rsa-1"), self.public_jwk(self.ec, "ES256", "ec-1")]

    @staticmethod
    def public_jwk(private_key: Any, algorithm: str, kid: str) -> dict[str, Any]:
        return jwk.construct(_public_pem(private_key), algorithm).to_dict() | {"kid": kid, "use": "sig"}

    def app(self) -> Starlette:
        async def keys(_request: Request) -> JSONResponse:
            return JSONResponse({"keys": self.published})

        return Starlette(routes=[Route("/jwks", keys)])


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Provider, str]]:
    running = Provider()
    with Server(running.app()) as server:
        yield running, f"{server.url}/jwks"


@pytest.fixture(scope="module")
def trusting(api: Api, world: World, provider: tuple[Provider, str]) -> Iterator[httpx.Client]:
    providers = [
        ExternalProvider(issuer=ISSUER, jwks_url=provider[1]),
        # A second provider, whose tokens name their client through a table of its own.
        ExternalProvider(
            issuer=OTHER_ISSUER,
            jwks_url=provider[1],
            client_claim="client_id",
            clients={"ggz-app": world.ggz.client_id},
        ),
    ]
    settings = api.settings.model_copy(update={"external_providers": providers})
    with Server(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def _claims(world: World, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": world.api.settings.token_audience,
        "sub": "professional-4711",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        "azp": world.ggz.client_id,  # the registered client the token acts for
        "scope": "record:read",
    } | overrides
    return {k: v for k, v in claims.items() if v is not None}


KIDS = {"RS256": "rsa-1", "ES256": "ec-1"}


def _sign(provider: Provider, claims: dict[str, Any], algorithm: str = "RS256", kid: str | None = None) -> str:
    key = provider.rsa if algorithm == "RS256" else provider.ec
    return str(jwt.encode(claims, _pem(key), algorithm=algorithm, headers={"kid": kid or KIDS[algorithm]}))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _ask(http: httpx.Client, token: str) -> httpx.Response:
    return http.get("/v1/cases", headers={"Authorization": f"Bearer {token}", "Purpose-Of-Use": "care"})


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_token_signed_by_a_published_key_is_accepted(
    world: World, provider: tuple[Provider, str], trusting: httpx.Client, algorithm: str
) -> None:
    response = _ask(trusting, _sign(provider[0], _claims(world), algorithm))
    assert response.status_code == 200, response.text


def _unsigned(world: World, provider: Provider) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(_claims(world)).encode())}."


def _hmac_with_public_key(world: World, provider: Provider) -> str:
    """The classic confusion: HS256 with the provider's public key as secret (signed by hand, as jose won't)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    payload = _b64(json.dumps(_claims(world)).encode())
    mac = hmac.new(_public_pem(provider.rsa), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(mac)}"


def _tampered(world: World, provider: Provider) -> str:
    header, _, signature = _sign(provider, _claims(world)).split(".")
    payload = _b64(json.dumps(_claims(world, azp=world.debt.client_id, scope="record:read record:write")).encode())
    return f"{header}.{payload}.{signature}"


def _foreign_key_same_kid(world: World, provider: Provider) -> str:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return str(jwt.encode(_claims(world), _pem(stranger), algorithm="RS256", headers={"kid": "rsa-1"}))


def _ec_token_naming_the_rsa_key(world: World, provider: Provider) -> str:
    return str(jwt.encode(_claims(world), _pem(provider.ec), algorithm="ES256", headers={"kid": "rsa-1"}))


FORGED: dict[str, Callable[[World, Provider], str]] = {
    "alg none": _unsigned,
    "public key as HMAC secret": _hmac_with_public_key,
    "tampered payload": _tampered,
    "unknown key under a known kid": _foreign_key_same_kid,
    "EC signature naming an RSA key": _ec_token_naming_the_rsa_key,
    "wrong kid": lambda w, p: _sign(p, _claims(w), kid="rsa-404"),
    "expired": lambda w, p: _sign(p, _claims(w, iat=int(time.time()) - 900, exp=int(time.time()) - 600)),
    "not yet valid": lambda w, p: _sign(p, _claims(w, nbf=int(time.time()) + 600)),
    "issued in the future": lambda w, p: _sign(p, _claims(w, iat=int(time.time()) + 600, exp=int(time.time()) + 900)),
    "lives too long": lambda w, p: _sign(p, _claims(w, exp=int(time.time()) + 86400)),
    "wrong issuer": lambda w, p: _sign(p, _claims(w, iss="https://evil.example")),
    "wrong audience": lambda w, p: _sign(p, _claims(w, aud="another-api")),
    "no expiry": lambda w, p: _sign(p, _claims(w, exp=None)),
    "no subject": lambda w, p: _sign(p, _claims(w, sub=None)),
    "no client": lambda w, p: _sign(p, _claims(w, azp=None)),
    "an unknown client": lambda w, p: _sign(p, _claims(w, azp="wr-made-up")),
    "oversized": lambda w, p: _sign(p, _claims(w, padding="x" * 5000)),
    "garbage": lambda w, p: "not.a.token",
}


@pytest.mark.parametrize("forgery", sorted(FORGED))
def test_forged_and_broken_tokens_are_refused(
    world: World, provider: tuple[Provider, str], trusting: httpx.Client, forgery: str
) -> None:
    response = _ask(trusting, FORGED[forgery](world, provider[0]))
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert response.headers["content-type"] == "application/problem+json"


def test_the_api_without_a_provider_refuses_its_tokens(world: World, provider: tuple[Provider, str]) -> None:
    response = world.api.http.get(
        "/v1/cases", headers={"Authorization": f"Bearer {_sign(provider[0], _claims(world))}"}
    )
    assert response.status_code == 401 and "WWW-Authenticate" in response.headers


def test_a_rotated_key_is_fetched_when_first_seen(
    world: World, provider: tuple[Provider, str], trusting: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = provider[0]
    assert _ask(trusting, _sign(running, _claims(world))).status_code == 200  # the keys are cached now
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    running.published.append(Provider.public_jwk(new_key, "RS256", "rsa-2"))
    monkeypatch.setattr(external_tokens, "REFETCH_AT_MOST_EVERY_SECONDS", 0)
    token = str(jwt.encode(_claims(world), _pem(new_key), algorithm="RS256", headers={"kid": "rsa-2"}))
    assert _ask(trusting, token).status_code == 200
    running.published.pop()


def test_a_token_gets_no_more_than_its_registered_client(
    world: World, provider: tuple[Provider, str], trusting: httpx.Client
) -> None:
    """Organisation, scopes and teams are taken from the registered client, never from the token."""
    greedy = _claims(
        world,
        org=str(world.orgs["debt"]),
        scope="record:read admin audit:read rights:handle bsn:read",
        teams=[world.team["id"], world.other_team["id"]],
    )
    token = _sign(provider[0], greedy)
    headers = {"Authorization": f"Bearer {token}", "Purpose-Of-Use": "audit"}
    assert trusting.get("/v1/access-log", params={"caseId": str(uuid.uuid4())}, headers=headers).status_code == 403
    assert trusting.get("/v1/clients", headers=headers).status_code == 403
    assert trusting.get(f"/v1/teams/{world.team['id']}/triage-queue", headers=headers).status_code == 403
    cases = trusting.get("/v1/cases", params={"limit": 100}, headers=headers).json()["items"]
    own = world.ggz.get("/v1/cases", params={"limit": 100}).json()["items"]
    assert [c["id"] for c in cases] == [c["id"] for c in own]  # the GGZ client's sight, not the debt counsellor's
    write = trusting.post("/v1/signals", headers=headers, json={})
    assert write.status_code == 403  # record:write was asked for by neither the token nor granted here


def test_a_provider_with_a_client_table_accepts_only_what_it_lists(
    world: World, provider: tuple[Provider, str], trusting: httpx.Client
) -> None:
    listed = _claims(world, iss=OTHER_ISSUER, azp=None, client_id="ggz-app")
    assert _ask(trusting, _sign(provider[0], listed)).status_code == 200
    unlisted = _claims(world, iss=OTHER_ISSUER, azp=None, client_id=world.ggz.client_id)
    assert _ask(trusting, _sign(provider[0], unlisted)).status_code == 401


def test_a_disabled_client_is_refused_whatever_its_provider_says(
    world: World, provider: tuple[Provider, str], trusting: httpx.Client
) -> None:
    caller = world.api.new_caller(world.orgs["ggz"], ["record:read"])
    token = _sign(provider[0], _claims(world, azp=caller.client_id))
    assert _ask(trusting, token).status_code == 200
    client = world.admin.get(f"/v1/clients/{caller.client_id}")
    changed = world.admin.patch(
        f"/v1/clients/{caller.client_id}", json={"active": False}, headers={"If-Match": client.headers["ETag"]}
    )
    assert changed.status_code == 200, changed.text
    time.sleep(2.5)  # the grant is kept for at most two seconds
    assert _ask(trusting, token).status_code == 401
