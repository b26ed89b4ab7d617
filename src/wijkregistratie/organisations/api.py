import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from wijkregistratie.core.codes import OrganisationKind
from wijkregistratie.core.database import Session
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, IfMatch, versioned
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Admin, Authenticated
from wijkregistratie.organisations import service
from wijkregistratie.organisations.schemas import (
    OrganisationCreate,
    OrganisationPage,
    OrganisationRead,
    OrganisationUpdate,
)

router = APIRouter(prefix=f"{API_PREFIX}/organisations", tags=["Organisations"], route_class=Route)
OrganisationId = Annotated[uuid.UUID, Path(alias="organisationId", description="The organisation's id.")]


@router.get(
    "",
    summary="List organisations",
    description="The organisations taking part in neighbourhood teams, oldest first. Any authenticated client may "
    "read them: they are the address book of who to call.",
)
async def list_organisations(
    session: Session,
    _principal: Authenticated,
    kind: Annotated[OrganisationKind | None, Query(description="Only organisations of this kind.")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> OrganisationPage:
    rows, next_cursor = await service.list_organisations(session, kind, cursor, limit)
    return OrganisationPage(items=[OrganisationRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "",
    status_code=201,
    summary="Register an organisation",
    description="Adds an organisation that takes part in a neighbourhood team. Needs the `admin` scope.",
    responses=CREATED_WITH_ETAG,
)
@declare(logged=True)  # who changed the directory, kept with the access log
async def create_organisation(
    session: Session, _principal: Admin, body: OrganisationCreate, response: Response
) -> OrganisationRead:
    organisation = OrganisationRead.model_validate(await service.create_organisation(session, body))
    return versioned(response, organisation, location=f"{API_PREFIX}/organisations/{organisation.id}")


@router.get(
    "/{organisationId}",
    summary="Read an organisation",
    description="One organisation with its contact person.",
    responses=WITH_ETAG | errors(404),
)
async def get_organisation(
    session: Session, _principal: Authenticated, organisation_id: OrganisationId, response: Response
) -> OrganisationRead:
    organisation = OrganisationRead.model_validate(await service.get_organisation(session, organisation_id))
    return versioned(response, organisation)


@router.patch(
    "/{organisationId}",
    summary="Change an organisation",
    description="Changes an organisation's name, identifiers or contact person (its *kartrekker*). Needs the "
    "`admin` scope and `If-Match`.",
    responses=WITH_ETAG | errors(404, 412, 428),
)
@declare(logged=True)
async def update_organisation(
    session: Session,
    _principal: Admin,
    organisation_id: OrganisationId,
    body: OrganisationUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> OrganisationRead:
    changed = await service.update_organisation(session, organisation_id, body, if_match)
    return versioned(response, OrganisationRead.model_validate(changed))
