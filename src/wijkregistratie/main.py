"""The application: routers, middleware, error handlers and the OpenAPI document."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from wijkregistratie import API_VERSION
from wijkregistratie.access.visibility import may_see
from wijkregistratie.adapters.api import router as schemas_router
from wijkregistratie.assessments.api import router as assessments_router
from wijkregistratie.attachments.api import router as attachments_router
from wijkregistratie.audit.api import router as audit_router
from wijkregistratie.auth.api import clients_router
from wijkregistratie.auth.api import router as auth_router
from wijkregistratie.auth.service import grant_of
from wijkregistratie.cases.api import router as cases_router
from wijkregistratie.consents.api import router as consents_router
from wijkregistratie.core.clients import ClientRegistry
from wijkregistratie.core.database import create_sessionmaker, engine_of
from wijkregistratie.core.discovery import import_all_models
from wijkregistratie.core.docs import router as docs_router
from wijkregistratie.core.errors import install_error_handlers
from wijkregistratie.core.health import router as health_router
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.middleware import HardeningMiddleware, MetricsMiddleware
from wijkregistratie.core.openapi import install_openapi
from wijkregistratie.core.rate_limit import RateLimiter, RouteLimiters, TokenLimiters
from wijkregistratie.core.security import Authenticator
from wijkregistratie.core.settings import Settings, get_settings
from wijkregistratie.events.api import router as events_router
from wijkregistratie.figures.api import router as figures_router
from wijkregistratie.figures.dashboard import router as dashboard_router
from wijkregistratie.households.api import router as households_router
from wijkregistratie.journal.api import router as journal_router
from wijkregistratie.learning.api import router as learning_router
from wijkregistratie.matches.api import router as matches_router
from wijkregistratie.municipalities.api import router as municipalities_router
from wijkregistratie.organisations.api import router as organisations_router
from wijkregistratie.plans.api import router as plans_router
from wijkregistratie.privacy.api import router as privacy_router
from wijkregistratie.professionals.api import router as professionals_router
from wijkregistratie.referrals.api import router as referrals_router
from wijkregistratie.services.api import router as services_router
from wijkregistratie.signals.api import router as signals_router
from wijkregistratie.teams.api import router as teams_router
from wijkregistratie.webhooks.api import router as webhooks_router
from wijkregistratie.worklists.api import router as worklists_router

DESCRIPTION = """
**One household, one plan, one lead professional.** The shared registration of the neighbourhood
team: every partner organisation's system reads and writes the same case record here, instead of
registering the household again in its own system and reporting back by mail.

* Authenticate with OAuth2 client credentials at `POST /v1/oauth/token` and send the token as
  `Authorization: Bearer …`.
* An organisation sees a case while it is involved, the signals it registered, and whether a
  household is already known; anything else answers `404`.
* Changes to a case, its involvements and its plan take `If-Match` with the `ETag` you read.
* Errors are `application/problem+json` (RFC 9457); invalid input answers `400` with
  `invalidParams` per field.
"""

TAGS = [
    {"name": "Authentication", "description": "Access tokens for partner systems."},
    {"name": "Clients", "description": "Partner systems' credentials: issued, rotated, disabled by an administrator."},
    {"name": "Signals", "description": "Concerns about a household, and whether it is already known."},
    {
        "name": "Cases",
        "description": "The shared record of one household: lead professional and involvements.",
    },
    {"name": "Plans", "description": "The household's plan, versioned on every change."},
    {"name": "Households", "description": "Households and their members."},
    {"name": "Municipalities", "description": "The municipalities served: their teams, areas and figures."},
    {"name": "Organisations", "description": "The organisations working in neighbourhood teams."},
    {"name": "Teams", "description": "Neighbourhood teams and the areas they serve."},
    {"name": "Professionals", "description": "Professionals, their teams and expertise."},
    {"name": "Matches", "description": "Organisations around the same household: who to call, never why."},
    {"name": "Assessments", "description": "Self-sufficiency scores (ZRM) on the domains that matter."},
    {"name": "Journal", "description": "Contact moments and notes."},
    {"name": "Referrals", "description": "Referrals to specialist care as a closed loop."},
    {"name": "Consents", "description": "Members' consents for organisations to take part."},
    {"name": "Attachments", "description": "Files on a case."},
    {"name": "Service directory", "description": "The sociale kaart: who offers what, where."},
    {
        "name": "Events",
        "description": "The change feed: every change, in order, as CloudEvents, for those who may know of it.",
    },
    {
        "name": "Webhooks",
        "description": "Subscriptions that push the change feed to a partner's system, signed and retried.",
    },
    {
        "name": "Household rights",
        "description": "A household's rights under the AVG: everything held about a person, in one answer.",
    },
    {
        "name": "Access log",
        "description": "Every look at a file and every change, with who, when, why and from where (NEN 7513).",
    },
    {"name": "Figures", "description": "Indicators for the municipality, safe to publish; never a person."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    import_all_models()  # every table in the metadata, so foreign keys between domains resolve

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = engine_of(settings)
        app.state.sessionmaker = create_sessionmaker(app.state.engine)
        replica = engine_of(settings, settings.database_replica_url) if settings.database_replica_url else None
        app.state.replica_sessionmaker = create_sessionmaker(replica) if replica else None
        grants = ClientRegistry(partial(grant_of, app.state.sessionmaker))
        app.state.authenticator = Authenticator(settings, grants)
        try:
            yield
        finally:
            await app.state.engine.dispose()
            if replica:
                await replica.dispose()

    app = FastAPI(
        title="wijkregistratie",
        summary="The shared registration for Dutch neighbourhood teams.",
        description=DESCRIPTION,
        version=API_VERSION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        separate_input_output_schemas=False,
        redoc_url=None,
        docs_url=None,  # served from packaged assets below, under a policy of their own
        openapi_url="/openapi.json" if settings.public_docs else None,
    )
    app.state.settings = settings
    app.state.vault = BsnVault(settings)
    app.state.sight = may_see
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.route_limiters = RouteLimiters()
    app.state.token_limiters = TokenLimiters(
        per_client=RateLimiter(settings.token_rate_limit_per_minute),
        per_address=RateLimiter(settings.token_rate_limit_per_address_per_minute),
        overall=RateLimiter(settings.token_rate_limit_overall_per_minute),
    )

    for router in (
        auth_router,
        clients_router,
        signals_router,
        cases_router,
        plans_router,
        households_router,
        municipalities_router,
        organisations_router,
        teams_router,
        professionals_router,
        matches_router,
        worklists_router,
        learning_router,
        assessments_router,
        journal_router,
        referrals_router,
        consents_router,
        attachments_router,
        services_router,
        events_router,
        webhooks_router,
        audit_router,
        privacy_router,
        figures_router,
        dashboard_router,
        health_router,
    ):
        app.include_router(router)
    if settings.public_docs:
        app.include_router(docs_router)
        app.include_router(schemas_router)

    install_error_handlers(app)
    install_openapi(app)
    if settings.cors_origins:  # closed unless origins are named
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
            expose_headers=["API-Version", "ETag", "Location", "Retry-After", "Idempotent-Replayed"],
        )
    app.add_middleware(HardeningMiddleware)
    app.add_middleware(MetricsMiddleware)
    # Outermost: the caller's address is the peer's, unless the peer is a proxy we were told to believe.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies or [])
    _configure_logging()
    return app


def _configure_logging() -> None:
    logger = logging.getLogger("wijkregistratie")
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
