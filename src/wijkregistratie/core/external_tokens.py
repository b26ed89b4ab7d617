"""Tokens from an external identity provider, verified against its published keys (JWKS).

An organisation that signs its professionals in with its own identity provider (Keycloak, Entra ID, ...)
can call the API with that provider's tokens: RS256 or ES256, with a `kid` naming a key the provider
publishes at its JWKS address. The keys are cached; a `kid` not in the cache makes one new fetch (at most
every half minute), so the provider can rotate its keys. The path is chosen by the token's algorithm, so
a token can never be checked with a key meant for another algorithm: the API's own HS256 secret is never
tried on these, nor a provider's public key as an HMAC secret.
"""

import asyncio
import time
from typing import Any

import httpx
from jose import jwt

from wijkregistratie.core.errors import Unauthorized
from wijkregistratie.core.settings import Settings

EXTERNAL_ALGORITHMS = {"RS256": "RSA", "ES256": "EC"}
KEYS_KEPT_SECONDS = 300
REFETCH_AT_MOST_EVERY_SECONDS = 30


class JwksCache:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.external_jwks_url
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


async def verify_external(token: str, header: dict[str, Any], settings: Settings, cache: JwksCache) -> dict[str, Any]:
    """The claims of a provider's token, or Unauthorized."""
    algorithm = header.get("alg")
    kid = header.get("kid")
    if not settings.external_issuer or algorithm not in EXTERNAL_ALGORITHMS or not isinstance(kid, str):
        raise Unauthorized("The access token is signed with an algorithm that is not accepted.")
    key = await cache.key(kid)
    if key is None or key.get("kty") != EXTERNAL_ALGORITHMS[algorithm] or key.get("alg", algorithm) != algorithm:
        raise Unauthorized("The access token is signed with a key this API does not know.")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=settings.external_audience or settings.token_audience,
            issuer=settings.external_issuer,
            options={
                "require_exp": True,
                "require_iat": True,
                "require_iss": True,
                "require_aud": True,
                "require_sub": True,
                "leeway": settings.token_clock_leeway_seconds,
            },
        )
    except Exception as exc:
        raise Unauthorized("The access token is invalid or expired.") from exc
    return claims
