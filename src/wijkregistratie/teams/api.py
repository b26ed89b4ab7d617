import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from wijkregistratie.core.database import Session
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Admin, Authenticated, Reader
from wijkregistratie.signals import triage
from wijkregistratie.signals.schemas import TriageQueue
from wijkregistratie.teams import service
from wijkregistratie.teams.schemas import TeamCreate, TeamPage, TeamRead

router = APIRouter(prefix=f"{API_PREFIX}/teams", tags=["Teams"], route_class=Route)
TeamId = Annotated[uuid.UUID, Path(alias="teamId", description="The team's id.")]


@router.get(
    "",
    summary="List neighbourhood teams",
    description="The neighbourhood teams with the area they serve and their first-contact target, oldest first.",
)
async def list_teams(
    session: Session,
    _principal: Authenticated,
    municipality_code: Annotated[
        str | None,
        Query(alias="municipalityCode", pattern=r"^GM[0-9]{4}$", description="Only teams of this municipality."),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> TeamPage:
    items, next_cursor = await service.list_teams(session, municipality_code, cursor, limit)
    return TeamPage(items=items, next_cursor=next_cursor)


@router.post(
    "",
    status_code=201,
    summary="Register a neighbourhood team",
    description="Adds a team with its area (CBS codes) and member organisations. Needs the `admin` scope.",
)
async def create_team(session: Session, _principal: Admin, body: TeamCreate) -> TeamRead:
    return await service.create_team(session, body)


@router.get(
    "/{teamId}",
    summary="Read a neighbourhood team",
    description="One team with its area, member organisations and first-contact target.",
    responses=errors(404),
)
async def get_team(session: Session, _principal: Authenticated, team_id: TeamId) -> TeamRead:
    return await service.get_team(session, team_id)


@router.get(
    "/{teamId}/triage-queue",
    summary="The team's triage queue",
    description="For the team's coordinator: open and in-triage signals, oldest first, with their age, source, "
    "life domains, assigned professionals and first-contact deadline against the team's target in days.",
    responses=errors(403),
)
@declare(personal=True)
async def triage_queue(session: Session, principal: Reader, team_id: TeamId) -> TriageQueue:
    return await triage.queue(session, principal, team_id)
