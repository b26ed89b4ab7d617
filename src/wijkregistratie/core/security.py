"""Authentication: client secrets, access tokens and the principal behind every request.

Partner systems authenticate with OAuth2 client credentials and receive a short-lived JWT. The
token carries what need-to-know decisions rest on (organisation, scopes, coordinated teams and the
acting professional), so a request needs no extra lookup to know who is asking.
"""

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes
from jose import jwt

from wijkregistratie.core.clients import ClientRegistry
from wijkregistratie.core.errors import Forbidden, InvalidInput, Unauthorized, route_template
from wijkregistratie.core.external_tokens import ExternalTokens
from wijkregistratie.core.purpose import PURPOSE_HEADER
from wijkregistratie.core.route_facts import facts_of
from wijkregistratie.core.settings import Settings

# Only these algorithms are ever accepted; `none` and asymmetric look-alikes are refused up front.
ALLOWED_ALGORITHMS = ("HS256",)
MAX_TOKEN_LENGTH = 4096
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "jti")


class Scope(StrEnum):
    record_read = "record:read"
    record_write = "record:write"
    bsn_read = "bsn:read"
    figures_read = "figures:read"
    admin = "admin"
    audit_read = "audit:read"
    rights_handle = "rights:handle"


SCOPES: dict[str, str] = {
    Scope.record_read: "Read the shared case record, as far as need-to-know allows.",
    Scope.record_write: "Register signals and change the shared case record.",
    Scope.bsn_read: "See citizen service numbers (BSN) in full instead of masked.",
    Scope.figures_read: "Read aggregate figures; no personal data.",
    Scope.admin: "Manage organisations, teams, professionals and client credentials.",
    Scope.audit_read: "Read the access log: who looked at which file, when and why.",
    Scope.rights_handle: "Handle households' requests: export everything held about a person, erase a file.",
}

oauth2_scheme = OAuth2(
    flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl="/v1/oauth/token", scopes=SCOPES)),
    scheme_name="oauth2",
    description="OAuth2 client credentials; send the access token as `Authorization: Bearer <token>`.",
    auto_error=False,
)


@dataclass(frozen=True)
class Principal:
    """Who is asking: a partner system acting for an organisation, perhaps for one professional."""

    client_id: str
    organisation_id: uuid.UUID
    scopes: frozenset[str]
    coordinated_team_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    actor_professional_id: uuid.UUID | None = None
    # The municipality a figures client reads the figures of; None for every other client.
    municipality_code: str | None = None

    def has(self, scope: str) -> bool:
        return scope in self.scopes


# --- client secrets -------------------------------------------------------------------------

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    encode = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(secret.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, base64.b64decode(digest))


# --- access tokens --------------------------------------------------------------------------


def issue_access_token(principal: Principal, settings: Settings) -> tuple[str, int]:
    now = int(time.time())
    lifetime = settings.token_lifetime_seconds
    claims: dict[str, Any] = {
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "sub": principal.client_id,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
        "scope": " ".join(sorted(principal.scopes)),
        "org": str(principal.organisation_id),
        "teams": sorted(str(t) for t in principal.coordinated_team_ids),
    }
    if principal.actor_professional_id:
        # RFC 8693 actor claim: the professional on whose behalf the partner system acts.
        claims["act"] = {"sub": str(principal.actor_professional_id)}
    token = jwt.encode(claims, settings.token_signing_key.get_secret_value(), algorithm=ALLOWED_ALGORITHMS[0])
    return token, lifetime


class Authenticator:
    """Turns a bearer token into the principal behind it: one of the API's own tokens (HS256) or, when
    configured, an external provider's (RS256/ES256). Either way the token names a registered client, and
    what that client may do now (its organisation, scopes and teams) comes from the registry, so disabling
    a client or taking a right away holds within seconds. Anything else is refused with 401."""

    def __init__(self, settings: Settings, clients: ClientRegistry) -> None:
        self.settings = settings
        self.clients = clients
        self.external = ExternalTokens(settings.external_providers)

    async def principal(self, token: str) -> Principal:
        header = _header(token)
        if header.get("alg") in ALLOWED_ALGORITHMS:
            claims = decode_access_token(token, self.settings)
            if "org" not in claims:
                raise Unauthorized("The access token lacks the claims this API needs.")
            return await self._bound(claims, str(claims.get("sub")), claims["org"])
        if not self.external:
            raise Unauthorized("The access token is signed with an algorithm that is not accepted.")
        settings = self.settings
        provider, claims = await self.external.verify(
            token, header, settings.token_audience, settings.token_clock_leeway_seconds
        )
        # A provider's actor claim names a person of its own, not a professional known here: not carried over.
        return await self._bound(claims | {"act": None}, provider.client_id(claims), None)

    async def _bound(self, claims: dict[str, Any], client_id: str, organisation: Any) -> Principal:
        _check_lifetime(claims, self.settings)
        grant = await self.clients.grant(client_id)
        if grant is None:
            raise Unauthorized("The client of this access token is unknown or disabled.")
        if organisation is not None and str(organisation) != str(grant.organisation_id):
            raise Unauthorized("The access token names another organisation than its client's.")
        actor = claims.get("act")
        try:
            actor_id = uuid.UUID(str(actor["sub"])) if isinstance(actor, dict) else None
        except (KeyError, ValueError) as exc:
            raise Unauthorized("The access token names its actor wrongly.") from exc
        return Principal(
            client_id=grant.client_id,
            organisation_id=grant.organisation_id,
            scopes=frozenset(str(claims.get("scope", "")).split()) & grant.scopes,
            coordinated_team_ids=grant.coordinated_team_ids,
            actor_professional_id=actor_id,
            municipality_code=grant.municipality_code,
        )


def _header(token: str) -> dict[str, Any]:
    if len(token) > MAX_TOKEN_LENGTH:
        raise Unauthorized("The access token is too long.")
    try:
        header: dict[str, Any] = jwt.get_unverified_header(token)
    except Exception as exc:
        raise Unauthorized("The access token is malformed.") from exc
    return header


def decode_access_token(token: str, settings: Settings) -> dict[str, Any]:
    """The verified claims of one of the API's own tokens."""
    if _header(token).get("alg") not in ALLOWED_ALGORITHMS:
        raise Unauthorized("The access token is signed with an algorithm that is not accepted.")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.token_signing_key.get_secret_value(),
            algorithms=list(ALLOWED_ALGORITHMS),
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            options={f"require_{c}": True for c in REQUIRED_CLAIMS} | {"leeway": settings.token_clock_leeway_seconds},
        )
    except Exception as exc:
        raise Unauthorized("The access token is invalid or expired.") from exc
    return claims


def _check_lifetime(claims: dict[str, Any], settings: Settings) -> None:
    try:
        issued_at, expires_at = float(claims["iat"]), float(claims["exp"])
    except (KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("The access token lacks the claims this API needs.") from exc
    if issued_at > time.time() + settings.token_clock_leeway_seconds:
        raise Unauthorized("The access token was issued in the future.")
    if expires_at - issued_at > settings.token_max_lifetime_seconds:
        raise Unauthorized("The access token lives longer than this API accepts.")


# --- the request's principal ----------------------------------------------------------------


async def authenticate(
    request: Request,
    security_scopes: SecurityScopes,
    authorization: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    if not authorization:
        raise Unauthorized("An access token is required.", error="invalid_request")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send the access token as 'Authorization: Bearer <token>'.", error="invalid_request")
    authenticator: Authenticator = request.app.state.authenticator
    principal = await authenticator.principal(token.strip())
    request.state.principal = principal  # for the access log, also when refused below
    state = request.app.state
    state.rate_limiter.check(principal.client_id)
    facts = facts_of(request.scope)
    if facts.per_client_per_minute:
        per_minute = facts.per_client_per_minute(state.settings)
        state.route_limiters.check(route_template(request.scope), per_minute, principal.client_id, "calls of this kind")
    missing = [s for s in security_scopes.scopes if not principal.has(s)]
    if missing:
        raise Forbidden(f"This operation needs the scope {', '.join(missing)}.")
    reads_personal_data = facts.personal and (request.method in ("GET", "HEAD") or facts.reads)
    if reads_personal_data and request.headers.get(PURPOSE_HEADER) not in facts.purposes:
        reason = f"state why you read this personal data: one of {', '.join(facts.purposes)}"
        raise InvalidInput.field(PURPOSE_HEADER, reason, "required")
    return principal


def requires(*scopes: str) -> Any:
    """A dependency giving the authenticated principal, refused unless it holds every scope."""
    return Security(authenticate, scopes=list(scopes))


Reader = Annotated[Principal, requires("record:read")]
Writer = Annotated[Principal, requires("record:read", "record:write")]
Admin = Annotated[Principal, requires("admin")]
RightsOfficer = Annotated[Principal, requires("rights:handle")]
Authenticated = Annotated[Principal, requires()]
