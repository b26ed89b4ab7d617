import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from wijkregistratie.core.database import Session
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Reader
from wijkregistratie.worklists import service
from wijkregistratie.worklists.schemas import Caseload, DueList, TeamCaseload

router = APIRouter(prefix=API_PREFIX, tags=["Work lists"], route_class=Route)
TeamId = Annotated[uuid.UUID, Path(alias="teamId", description="The team's id.")]
ProfessionalId = Annotated[uuid.UUID, Path(alias="professionalId", description="The professional's id.")]


@router.get(
    "/professionals/{professionalId}/caseload",
    summary="A professional's caseload",
    description="The open cases the professional leads (with the plan's next evaluation and how many of its "
    "activities are past their date) and the signals in triage they took up, each with the household's "
    "surname and address line. For the professional's own organisation and the coordinators of the teams "
    "they work in; only what the caller may see is listed.",
    responses=errors(403, 404),
)
@declare(personal=True)
async def professional_caseload(session: Session, principal: Reader, professional_id: ProfessionalId) -> Caseload:
    return await service.caseload(session, principal, professional_id)


@router.get(
    "/teams/{teamId}/caseload",
    summary="The team's caseload",
    description="For the team's coordinator: per professional of the team, the open cases they lead, the "
    "signals in triage they took up, the plan evaluations that have come due and whether they have left — "
    "counts only, the busiest first.",
    responses=errors(403, 404),
)
async def team_caseload(session: Session, principal: Reader, team_id: TeamId) -> TeamCaseload:
    return await service.team_caseload(session, principal, team_id)


@router.get(
    "/teams/{teamId}/due",
    summary="What has come due in the team",
    description="Plan evaluations whose date has come, first contacts at or past the team's deadline, plan "
    "activities not done by their date, and referrals without an answer after the team's number of days "
    "(`referralAnswerDays`) — the longest due first, each with the household's surname and whom it is for. "
    "`withinDays` also lists what comes due in the days ahead. The coordinator sees the whole team; an "
    "organisation what it may see of it. Each item is also announced as an event on the day it comes due.",
    responses=errors(404),
)
@declare(personal=True)
async def due(
    session: Session,
    principal: Reader,
    team_id: TeamId,
    within_days: Annotated[
        int, Query(alias="withinDays", ge=0, le=90, description="Also what comes due in this many days.")
    ] = 0,
) -> DueList:
    return await service.due_list(session, principal, team_id, within_days)
