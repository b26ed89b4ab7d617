import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from wijkregistratie.core.codes import OrganisationKind
from wijkregistratie.core.database import Session
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Admin, Authenticated
from wijkregistratie.organisations import service
from wijkregistratie.organisations.schemas import OrganisationCreate, OrganisationPage, OrganisationRead

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
)
async def create_organisation(session: Session, _principal: Admin, body: OrganisationCreate) -> OrganisationRead:
    return OrganisationRead.model_validate(await service.create_organisation(session, body))


@router.get(
    "/{organisationId}",
    summary="Read an organisation",
    description="One organisation with its contact person.",
    responses=errors(404),
)
async def get_organisation(
    session: Session, _principal: Authenticated, organisation_id: OrganisationId
) -> OrganisationRead:
    return OrganisationRead.model_validate(await service.get_organisation(session, organisation_id))
