import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Form, Header, Request, Response

from wijkregistratie.auth import service
from wijkregistratie.auth.schemas import TokenRequest, TokenResponse
from wijkregistratie.core.database import Session
from wijkregistratie.core.errors import InvalidInput, Unauthorized
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import issue_access_token

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
    # Before the (deliberately slow) secret check, so guessing costs the guesser, not the server.
    address = request.client.host if request.client else "unknown"
    request.app.state.token_rate_limiter.check(f"{credentials[0]}|{address}", "token requests")
    principal = await service.authenticate_client(session, *credentials, form.scope, form.actor)
    token, lifetime = issue_access_token(principal, request.app.state.settings)
    response.headers["Cache-Control"] = "no-store"
    return TokenResponse(
        access_token=token, token_type="Bearer", expires_in=lifetime, scope=" ".join(sorted(principal.scopes))
    )
