"""Tokens from external identity providers, verified against their published keys (JWKS), and bound to
the registered clients they act for.

An organisation that signs its professionals in with its own identity provider (Keycloak, Entra ID, ...)
can call the API with that provider's tokens: RS256 or ES256, with a `kid` naming a key the provider
publishes at its JWKS address. The keys are cached; a `kid` not in the cache makes one new fetch (at most
every half minute), so the provider can rotate its keys. The path is chosen by the token's algorithm, so
a token can never be checked with a key meant for another algorithm: the API's own HS256 secret is never
tried on these, nor a provider's public key as an HMAC secret.

Nothing a provider's token says about organisations, teams or scopes is believed as it stands: the token
names a registered client (by the provider's `clientClaim`, through its `clients` table where one is
given), that client's organisation is the caller's, its scopes bound what the token may ask, and the
teams it coordinates come from the registry only.
"""

import asyncio
import time
from typing import Any

import httpx
from jose import jwt
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from wijkregistratie.core.errors import Unauthorized

EXTERNAL_ALGORITHMS = {"RS256": "RSA", "ES256": "EC"}
KEYS_KEPT_SECONDS = 300
REFETCH_AT_MOST_EVERY_SECONDS = 30


class ExternalProvider(BaseModel):
    """One identity provider whose tokens are accepted, as configured in `WR_EXTERNAL_PROVIDERS`."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    issuer: str = Field(min_length=1)
    jwks_url: str = Field(pattern=r"^https?://")
    audience: str = ""  # by default the API's own audience
    # The claim that names the registered client the token acts for (the OAuth2 client of the caller).
    client_claim: str = Field(default="azp", min_length=1)
    # A table from the claim's value to a registered client id; without one, the value is the client id.
    clients: dict[str, str] = Field(default_factory=dict)

    def client_id(self, claims: dict[str, Any]) -> str:
        value = claims.get(self.client_claim)
        if not isinstance(value, str) or not value:
            raise Unauthorized("The access token does not say which registered client it acts for.")
        if not self.clients:
            return value
        if value not in self.clients:
            raise Unauthorized("The access token acts for a client this API does not know.")
        return self.clients[value]


class JwksCache:
    def __init__(self, url: str) -> None:
        self.url = url
        self.keys: dict[str, dict[str, Any]] = {}
        self.fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> dict[str, Any] | None:
        now = time.monotonic()
        stale = now - self.fetched_at > KEYS_KEPT_SECONDS
        unknown = kid not in self.keys and now - self.fetched_at > REFETCH_AT_MOST_EVERY_SECONDS
        if stale or unknown:
            async with self._lock:
                if time.monotonic() - self.fetched_at > REFETCH_AT_MOST_EVERY_SECONDS or not self.keys:
                    await self._fetch()
        return self.keys.get(kid)

    async def _fetch(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                published = response.json()["keys"]
            self.keys = {k["kid"]: k for k in published if isinstance(k, dict) and "kid" in k}
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            pass  # keep the keys we had; a token with an unknown key is refused
        self.fetched_at = time.monotonic()


class ExternalTokens:
    """The configured providers, each with its cached keys, found by the token's issuer."""

    def __init__(self, providers: list[ExternalProvider]) -> None:
        self._providers = {p.issuer: (p, JwksCache(p.jwks_url)) for p in providers}

    def __bool__(self) -> bool:
        return bool(self._providers)

    async def verify(
        self, token: str, header: dict[str, Any], audience: str, leeway: int
    ) -> tuple[ExternalProvider, dict[str, Any]]:
        """The provider and the verified claims of one of its tokens, or Unauthorized."""
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in EXTERNAL_ALGORITHMS or not isinstance(kid, str):
            raise Unauthorized("The access token is signed with an algorithm that is not accepted.")
        try:
            issuer = jwt.get_unverified_claims(token).get("iss")
        except Exception as exc:
            raise Unauthorized("The access token is malformed.") from exc
        if issuer not in self._providers:
            raise Unauthorized("The access token is signed with an algorithm that is not accepted.")
        provider, cache = self._providers[issuer]
        key = await cache.key(kid)
        if key is None or key.get("kty") != EXTERNAL_ALGORITHMS[algorithm] or key.get("alg", algorithm) != algorithm:
            raise Unauthorized("The access token is signed with a key this API does not know.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=provider.audience or audience,
                issuer=provider.issuer,
                options={f"require_{c}": True for c in ("exp", "iat", "iss", "aud", "sub")} | {"leeway": leeway},
            )
        except Exception as exc:
            raise Unauthorized("The access token is invalid or expired.") from exc
        return provider, claims
