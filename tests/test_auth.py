"""Tokens: only well-formed, correctly signed, current tokens for this API are accepted."""

import base64
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from tests.conftest import Caller, World, new_address, new_member


def _claims(world: World) -> dict[str, Any]:
    return dict(jwt.get_unverified_claims(world.housing.token()))


def _sign(world: World, claims: dict[str, Any], key: str | None = None, algorithm: str = "HS256") -> str:
    return str(jwt.encode(claims, key or world.api.settings.token_signing_key.get_secret_value(), algorithm=algorithm))


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _assert_refused(world: World, token: str) -> None:
    response = world.api.http.get("/v1/signals", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["API-Version"]


def test_a_valid_token_is_accepted(world: World) -> None:
    token = _sign(world, _claims(world))
    response = world.api.http.get("/v1/signals", headers={"Authorization": f"Bearer {token}", "Purpose-Of-Use": "care"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c, now: c | {"exp": now - 120, "iat": now - 600, "nbf": now - 600}, id="expired"),
        pytest.param(lambda c, now: c | {"nbf": now + 600}, id="not-yet-valid"),
        pytest.param(lambda c, now: c | {"aud": "another-api"}, id="other-audience"),
        pytest.param(lambda c, now: c | {"iss": "https://evil.example"}, id="other-issuer"),
        pytest.param(lambda c, now: c | {"iat": now + 600, "exp": now + 900}, id="issued-in-the-future"),
        pytest.param(lambda c, now: c | {"iat": now, "exp": now + 86400}, id="lifetime-too-long"),
        pytest.param(lambda c, now: {k: v for k, v in c.items() if k != "exp"}, id="no-exp"),
        pytest.param(lambda c, now: {k: v for k, v in c.items() if k != "iat"}, id="no-iat"),
        pytest.param(lambda c, now: {k: v for k, v in c.items() if k != "aud"}, id="no-aud"),
        pytest.param(lambda c, now: {k: v for k, v in c.items() if k != "org"}, id="no-organisation"),
        pytest.param(lambda c, now: c | {"iat": "yesterday"}, id="iat-not-a-number"),
        pytest.param(lambda c, now: c | {"org": "not-a-uuid"}, id="organisation-not-a-uuid"),
    ],
)
def test_broken_claims_are_refused(world: World, change: Any) -> None:
    _assert_refused(world, _sign(world, change(_claims(world), int(time.time()))))


def test_alg_none_is_refused(world: World) -> None:
    _assert_refused(world, f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(world))}.")


def test_a_forged_signature_is_refused(world: World) -> None:
    _assert_refused(world, _sign(world, _claims(world), key="another-key-of-at-least-32-characters!!"))


def test_a_tampered_payload_is_refused(world: World) -> None:
    header, _payload, signature = world.housing.token().split(".")
    tampered = _claims(world) | {"org": str(world.orgs["ggz"])}
    _assert_refused(world, f"{header}.{_b64(tampered)}.{signature}")


def test_an_asymmetric_algorithm_is_refused(world: World) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    _assert_refused(world, _sign(world, _claims(world), key=pem, algorithm="RS256"))


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 5000, "Bearer"])
def test_malformed_tokens_are_refused(world: World, token: str) -> None:
    _assert_refused(world, token)


def test_no_token_is_refused(world: World) -> None:
    response = world.api.http.get("/v1/cases")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_a_wrong_secret_gets_no_token(world: World) -> None:
    for client_id, secret in [(world.housing.client_id, "wrong"), ("no-such-client", "wrong")]:
        response = world.api.http.post(
            "/v1/oauth/token",
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        )
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


def test_basic_credentials_and_the_token_response(world: World) -> None:
    response = world.api.http.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(world.housing.client_id, world.housing.secret),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == world.api.settings.token_lifetime_seconds
    assert set(body["scope"].split()) == {"record:read", "record:write"}
    assert response.headers["Cache-Control"] == "no-store"
    claims = jwt.get_unverified_claims(body["access_token"])
    assert claims["exp"] - claims["iat"] == world.api.settings.token_lifetime_seconds


def test_only_the_client_credentials_grant(world: World) -> None:
    response = world.api.http.post(
        "/v1/oauth/token",
        data={"grant_type": "password", "client_id": world.housing.client_id, "client_secret": world.housing.secret},
    )
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "grant_type"


def test_a_token_narrowed_to_reading_cannot_write(world: World) -> None:
    token = world.housing.token(scope="record:read")
    assert jwt.get_unverified_claims(token)["scope"] == "record:read"
    response = world.api.http.post(
        "/v1/signals",
        headers={"Authorization": f"Bearer {token}"},
        json={"household": {"address": new_address(), "members": [new_member()]}},
    )
    assert response.status_code == 403


def test_a_scope_the_client_lacks_is_refused(world: World) -> None:
    response = world.api.http.post(
        "/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": world.housing.client_id,
            "client_secret": world.housing.secret,
            "scope": "record:read admin",
        },
    )
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "scope"


def _signal_as(caller: Caller, world: World, token: str) -> Any:
    return caller.http.post(
        "/v1/signals",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "household": {"address": new_address(), "members": [new_member()]},
            "teamId": world.team["id"],
            "source": "team_organisation",
            "lifeDomains": ["mental_health"],
            "description": "Zorgen over somberheid.",
            "residentAware": True,
        },
    )


def test_the_acting_professional_travels_in_the_token_and_is_recorded(world: World) -> None:
    professional = world.professionals["ggz"]["id"]
    token = world.ggz.token(actor=professional)
    assert jwt.get_unverified_claims(token)["act"] == {"sub": professional}
    response = _signal_as(world.ggz, world, token)
    assert response.status_code == 201, response.text
    assert response.json()["registeredByProfessionalId"] == professional


def test_an_actor_of_another_organisation_is_refused(world: World) -> None:
    response = world.api.http.post(
        "/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": world.ggz.client_id,
            "client_secret": world.ggz.secret,
            "actor": world.professionals["debt"]["id"],
        },
    )
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "actor"
