import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from wijkregistratie.core.codes import LifeDomain, SignalSource, SignalStatus, Urgency
from wijkregistratie.core.database import Session
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, IfMatch, versioned
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Admin, Authenticated, Reader
from wijkregistratie.municipalities.schemas import MUNICIPALITY_PATTERN
from wijkregistratie.signals.queue import QueueFilter, open_to_take_up, queue
from wijkregistratie.signals.schemas import OpenSignal, TriageQueue
from wijkregistratie.teams import service
from wijkregistratie.teams.schemas import (
    Membership,
    MembershipCreate,
    MembershipEnd,
    TeamCreate,
    TeamPage,
    TeamRead,
    TeamUpdate,
)

router = APIRouter(prefix=f"{API_PREFIX}/teams", tags=["Teams"], route_class=Route)
TeamId = Annotated[uuid.UUID, Path(alias="teamId", description="The team's id.")]
MembershipId = Annotated[uuid.UUID, Path(alias="membershipId", description="The membership's id.")]


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
        Query(alias="municipalityCode", pattern=MUNICIPALITY_PATTERN, description="Only teams of this municipality."),
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
    description="Adds a team of a registered municipality with its area (CBS codes within that municipality) "
    "and member organisations, who take part from today. Needs the `admin` scope.",
    responses=CREATED_WITH_ETAG,
)
@declare(logged=True)  # who changed the directory, kept with the access log
async def create_team(session: Session, _principal: Admin, body: TeamCreate, response: Response) -> TeamRead:
    team = await service.create_team(session, body)
    return versioned(response, team, location=f"{API_PREFIX}/teams/{team.id}")


@router.get(
    "/{teamId}",
    summary="Read a neighbourhood team",
    description="One team with its area, member organisations (today's, and every membership with its dates) "
    "and first-contact target.",
    responses=WITH_ETAG | errors(404),
)
async def get_team(session: Session, _principal: Authenticated, team_id: TeamId, response: Response) -> TeamRead:
    return versioned(response, await service.get_team(session, team_id))


@router.patch(
    "/{teamId}",
    summary="Change a neighbourhood team",
    description="Renames a team, changes its area (within its municipality) or its first-contact target. "
    "Needs the `admin` scope and `If-Match`.",
    responses=WITH_ETAG | errors(404, 412, 428),
)
@declare(logged=True)
async def update_team(
    session: Session, _principal: Admin, team_id: TeamId, body: TeamUpdate, response: Response, if_match: IfMatch = None
) -> TeamRead:
    return versioned(response, await service.update_team(session, team_id, body, if_match))


@router.post(
    "/{teamId}/memberships",
    status_code=201,
    summary="An organisation joins the team",
    description="The organisation takes part in the team from `since` (today when left out): it may register "
    "signals in the team's area and be involved in its cases. One open membership per organisation at a "
    "time. Needs the `admin` scope.",
    responses=errors(404, 409),
)
@declare(logged=True)
async def join_team(
    session: Session, _principal: Admin, team_id: TeamId, body: MembershipCreate, response: Response
) -> Membership:
    membership = await service.join_team(session, team_id, body)
    response.headers["Location"] = f"{API_PREFIX}/teams/{team_id}/memberships/{membership.id}"
    return Membership.model_validate(membership)


@router.patch(
    "/{teamId}/memberships/{membershipId}",
    summary="An organisation leaves the team",
    description="Ends a membership after `until`, its last day; the membership stays in the team's history. "
    "Needs the `admin` scope.",
    responses=errors(404, 409),
)
@declare(logged=True)
async def leave_team(
    session: Session, _principal: Admin, team_id: TeamId, membership_id: MembershipId, body: MembershipEnd
) -> Membership:
    return Membership.model_validate(await service.leave_team(session, team_id, membership_id, body))


@router.get(
    "/{teamId}/triage-queue",
    summary="The team's triage queue",
    description="For the team's coordinator, in one answer a screen can show: open and in-triage signals, the "
    "most urgent first and then the oldest, each with the household's surname and address line, who reported "
    "it, the professionals who took it up, whether the household already has an open case, its age and its "
    "first-contact deadline against the team's target (and whether that has passed). Filter by urgency, "
    "source, life domain, status or overdue.",
    responses=errors(403),
)
@declare(personal=True)
async def triage_queue(
    session: Session,
    principal: Reader,
    team_id: TeamId,
    urgency: Annotated[Urgency | None, Query()] = None,
    source: Annotated[SignalSource | None, Query()] = None,
    life_domain: Annotated[LifeDomain | None, Query(alias="lifeDomain")] = None,
    status: Annotated[SignalStatus | None, Query(description="`open` or `in_triage`.")] = None,
    overdue: Annotated[bool | None, Query(description="Only those whose first contact is (not) overdue.")] = None,
) -> TriageQueue:
    wanted = QueueFilter(urgency=urgency, source=source, life_domain=life_domain, status=status, overdue=overdue)
    return await queue(session, principal, team_id, wanted)


@router.get(
    "/{teamId}/open-signals",
    summary="Signals open to take up",
    description="For the professionals of the team's organisations: the open signals fewer than two "
    "professionals took up, the most urgent first and then the oldest, with what deciding needs — source, "
    "life domains, urgency, neighbourhood, age — and not whose household it is or what was written. Take one "
    "up with `POST /v1/signals/{signalId}/take-up`. An organisation that takes no part in the team sees none.",
    responses=errors(404),
)
@declare(personal=True)
async def open_signals(session: Session, principal: Reader, team_id: TeamId) -> list[OpenSignal]:
    return await open_to_take_up(session, principal, team_id)
