import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from wijkregistratie.core.codes import LifeDomain
from wijkregistratie.core.database import Session
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, IfMatch, versioned
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Authenticated, Reader
from wijkregistratie.professionals import service
from wijkregistratie.professionals.schemas import (
    ProfessionalCreate,
    ProfessionalPage,
    ProfessionalRead,
    ProfessionalUpdate,
)

router = APIRouter(prefix=f"{API_PREFIX}/professionals", tags=["Professionals"], route_class=Route)
ProfessionalId = Annotated[uuid.UUID, Path(alias="professionalId", description="The professional's id.")]


@router.get(
    "",
    summary="List professionals",
    description="Professionals of the organisations in the teams, oldest first; filter by organisation, team or "
    "expertise so triage can pick by expertise rather than by who has time.",
)
async def list_professionals(
    session: Session,
    _principal: Reader,
    organisation_id: Annotated[uuid.UUID | None, Query(alias="organisationId")] = None,
    team_id: Annotated[uuid.UUID | None, Query(alias="teamId")] = None,
    life_domain: Annotated[LifeDomain | None, Query(alias="lifeDomain", description="Expert in this domain.")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> ProfessionalPage:
    items, next_cursor = await service.list_professionals(session, organisation_id, team_id, life_domain, cursor, limit)
    return ProfessionalPage(items=items, next_cursor=next_cursor)


@router.post(
    "",
    status_code=201,
    summary="Register a professional",
    description="Adds a professional of the caller's own organisation (scope `record:write`; with `admin`, of any "
    "organisation), with the teams they work in and their expertise by life domain.",
    responses=CREATED_WITH_ETAG | errors(403),
)
@declare(logged=True)  # who changed the directory, kept with the access log
async def create_professional(
    session: Session, principal: Authenticated, body: ProfessionalCreate, response: Response
) -> ProfessionalRead:
    professional = await service.create_professional(session, principal, body)
    return versioned(response, professional, location=f"{API_PREFIX}/professionals/{professional.id}")


@router.get(
    "/{professionalId}",
    summary="Read a professional",
    description="One professional with their organisation, teams, expertise and, once known, their last day.",
    responses=WITH_ETAG | errors(404),
)
async def get_professional(
    session: Session, _principal: Reader, professional_id: ProfessionalId, response: Response
) -> ProfessionalRead:
    return versioned(response, await service.get_professional(session, professional_id))


@router.patch(
    "/{professionalId}",
    summary="Change a professional",
    description="Changes a professional's teams, expertise or contact, or records their last working day "
    "(`leftOn`): after it they are assigned no signal and no lead, and their open leads appear on the "
    "coordinator's list (`GET /v1/cases?leadLeft=true`). By the professional's own organisation (scope "
    "`record:write`) or an administrator; needs `If-Match`.",
    responses=WITH_ETAG | errors(403, 404, 412, 428),
)
@declare(logged=True)
async def update_professional(
    session: Session,
    principal: Authenticated,
    professional_id: ProfessionalId,
    body: ProfessionalUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ProfessionalRead:
    return versioned(response, await service.update_professional(session, principal, professional_id, body, if_match))
