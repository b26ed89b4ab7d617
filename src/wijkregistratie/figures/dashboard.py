"""The municipality's dashboard: a static page served by the API itself, drawing the figures it reads.

A policy advisor signs in as a person: with the municipality's own identity provider where one is
configured (OpenID Connect, authorisation code with PKCE; the provider's tokens are accepted through the
API's external providers), or, in development, with one click as the figures client set for that. Nobody
types a machine's secret into the page.
"""

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse

from wijkregistratie.core.errors import NotFound
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Authenticator, Principal, issue_access_token
from wijkregistratie.core.settings import Settings

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False, route_class=Route)
FIGURES_ONLY = frozenset({"figures:read"})


def _policy(settings: Settings) -> str:
    """The page loads its own script and style and calls the API (and the identity provider); nothing else."""
    provider = ""
    if settings.dashboard_oidc_issuer:
        parts = urlsplit(settings.dashboard_oidc_issuer)
        provider = f" {parts.scheme}://{parts.netloc}"
    return (
        f"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'{provider}; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def _file(request: Request, name: str, media_type: str) -> FileResponse:
    headers = {"Content-Security-Policy": _policy(request.app.state.settings), "Cache-Control": "no-cache"}
    return FileResponse(STATIC / name, media_type=f"{media_type}; charset=utf-8", headers=headers)


# What the identity provider sends back to the page (RFC 6749 §4.1.2, RFC 9207); the page reads it itself.
ReturnParameter = Annotated[str | None, Query(max_length=2000)]


@router.get("/dashboard")
async def dashboard(
    request: Request,
    code: ReturnParameter = None,
    state: ReturnParameter = None,
    iss: ReturnParameter = None,
    error: ReturnParameter = None,
    error_description: ReturnParameter = None,
    session_state: ReturnParameter = None,
) -> FileResponse:
    return _file(request, "dashboard.html", "text/html")


@router.get("/dashboard/app.js")
async def script(request: Request) -> FileResponse:
    return _file(request, "app.js", "text/javascript")


@router.get("/dashboard/app.css")
async def style(request: Request) -> FileResponse:
    return _file(request, "app.css", "text/css")


@router.get("/dashboard/config.json")
async def config(request: Request) -> dict[str, Any]:
    """How a person signs in here: the identity provider's address and the page's client id, or development."""
    settings: Settings = request.app.state.settings
    oidc = None
    if settings.dashboard_oidc_issuer and settings.dashboard_oidc_client_id:
        oidc = {
            "issuer": settings.dashboard_oidc_issuer,
            "clientId": settings.dashboard_oidc_client_id,
            "scope": settings.dashboard_oidc_scope,
        }
    return {"oidc": oidc, "development": bool(settings.dashboard_development_client)}


@router.post("/dashboard/development-login")
async def development_login(request: Request) -> JSONResponse:
    """A short-lived token of the development figures client; only where one is set, and only a client
    that reads figures and nothing else (production refuses the setting at start)."""
    settings: Settings = request.app.state.settings
    authenticator: Authenticator = request.app.state.authenticator
    client_id = settings.dashboard_development_client
    grant = await authenticator.clients.grant(client_id) if client_id else None
    if grant is None or grant.scopes != FIGURES_ONLY:
        raise NotFound("There is no development sign-in here.")
    principal = Principal(
        client_id=grant.client_id,
        organisation_id=grant.organisation_id,
        scopes=grant.scopes,
        municipality_code=grant.municipality_code,
    )
    token, lifetime = issue_access_token(principal, settings)
    return JSONResponse(
        {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": "figures:read"},
        headers={"Cache-Control": "no-store"},
    )
