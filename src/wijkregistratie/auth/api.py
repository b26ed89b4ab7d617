import base64
import binascii
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Header, Path, Query, Request, Response

from wijkregistratie.auth import service
from wijkregistratie.auth.schemas import (
    ClientCreate,
    ClientPage,
    ClientRead,
    ClientUpdate,
    ClientWithSecret,
    SecretRotation,
    TokenRequest,
    TokenResponse,
)
from wijkregistratie.core.database import Session
from wijkregistratie.core.errors import InvalidInput, Unauthorized
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, IfMatch, versioned
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.routes import Route, route_class
from wijkregistratie.core.security import Admin, issue_access_token

router = APIRouter(prefix=f"{API_PREFIX}/oauth", tags=["Authentication"], route_class=Route)


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("The Basic credentials are malformed.", error="invalid_client") from exc
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise Unauthorized("The Basic credentials are malformed.", error="invalid_client")
    return client_id, secret


@router.post(
    "/token",
    summary="Get an access token",
    description="OAuth2 client credentials grant (RFC 6749 §4.4). Send `client_id` and `client_secret` in the "
    "form or as HTTP Basic credentials. `scope` narrows the token to some of the client's scopes; `actor` names "
    "the professional of the client's organisation on whose behalf the system acts, and travels in the token "
    "as its `act` claim. Tokens are short-lived: ask for a new one when `expires_in` has passed.",
    responses=errors(401, 429),
)
async def issue_token(
    request: Request,
    session: Session,
    response: Response,
    form: Annotated[TokenRequest, Form()],
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenResponse:
    if form.grant_type != "client_credentials":
        raise InvalidInput.field("grant_type", "only client_credentials is supported", code="unsupported_grant_type")
    credentials = _basic_credentials(authorization) or (
        (form.client_id, form.client_secret) if form.client_id and form.client_secret else None
    )
    if credentials is None:
        raise Unauthorized("Send client_id and client_secret.", error="invalid_client")
    # Before the (deliberately slow) secret check, so guessing costs the guesser, not the server: per client
    # and address, per address (rotating made-up client ids), and over all callers (rotating addresses too).
    address = request.client.host if request.client else "unknown"
    limits = request.app.state.token_limiters
    limits.per_client.check(f"{credentials[0]}|{address}", "token requests")
    limits.per_address.check(address, "token requests from this address")
    limits.overall.check("all", "token requests to this API")
    principal = await service.authenticate_client(session, *credentials, form.scope, form.actor)
    token, lifetime = issue_access_token(principal, request.app.state.settings)
    response.headers["Cache-Control"] = "no-store"
    return TokenResponse(
        access_token=token, token_type="Bearer", expires_in=lifetime, scope=" ".join(sorted(principal.scopes))
    )


clients_router = APIRouter(prefix=f"{API_PREFIX}/clients", tags=["Clients"], route_class=route_class(logged=True))
ClientId = Annotated[
    str, Path(alias="clientId", pattern=r"^[A-Za-z0-9._-]{1,100}$", description="The client's `client_id`.")
]


@clients_router.get(
    "",
    summary="List client credentials",
    description="The registered clients, oldest first, without their secrets. Needs the `admin` scope.",
)
async def list_clients(
    session: Session,
    _admin: Admin,
    organisation_id: Annotated[uuid.UUID | None, Query(alias="organisationId")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> ClientPage:
    items, next_cursor = await service.list_clients(session, organisation_id, cursor, limit)
    return ClientPage(items=items, next_cursor=next_cursor)


@clients_router.post(
    "",
    status_code=201,
    summary="Issue client credentials",
    description="Credentials for a system of a registered organisation, with its scopes and the teams it "
    "coordinates. The answer holds the secret: it is shown once, and only its hash is kept. Needs `admin`.",
    responses=errors() | CREATED_WITH_ETAG,
)
async def create_client(session: Session, _admin: Admin, body: ClientCreate, response: Response) -> ClientWithSecret:
    created = await service.register(session, body)
    return versioned(response, created, location=f"{API_PREFIX}/clients/{created.client_id}")


@clients_router.get(
    "/{clientId}",
    summary="Read client credentials",
    description="One client, without its secret. Needs the `admin` scope.",
    responses=errors(404) | WITH_ETAG,
)
async def get_client(session: Session, _admin: Admin, client_id: ClientId, response: Response) -> ClientRead:
    return versioned(response, await service.get_client(session, client_id))


@clients_router.patch(
    "/{clientId}",
    summary="Change, disable or enable a client",
    description="Rename a client, change its scopes or the teams it coordinates, or disable it (`active: "
    "false`): a disabled client gets no token, and the tokens it holds are refused within seconds. Takes "
    "`If-Match`. Needs the `admin` scope.",
    responses=errors(404, 412, 428) | WITH_ETAG,
)
async def update_client(
    session: Session,
    _admin: Admin,
    client_id: ClientId,
    body: ClientUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ClientRead:
    return versioned(response, await service.update_client(session, client_id, body, if_match))


@clients_router.post(
    "/{clientId}/secret-rotations",
    status_code=201,
    summary="Rotate a client's secret",
    description="A new secret, shown once in the answer; the previous one keeps working for "
    "`previousValidSeconds` (a day by default), so the partner can switch over without an outage. Takes "
    "`If-Match`. Needs the `admin` scope.",
    responses=errors(404, 412, 428) | CREATED_WITH_ETAG,
)
async def rotate_secret(
    session: Session,
    _admin: Admin,
    client_id: ClientId,
    body: SecretRotation,
    response: Response,
    if_match: IfMatch = None,
) -> ClientWithSecret:
    rotated = await service.rotate_secret(session, client_id, body.previous_valid_seconds, if_match)
    return versioned(response, rotated, location=f"{API_PREFIX}/clients/{rotated.client_id}")
