import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from wijkregistratie.core.database import Session
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Reader, Writer
from wijkregistratie.matches import service
from wijkregistratie.matches.queries import match_subject
from wijkregistratie.matches.schemas import MatchPage, MatchRead

router = APIRouter(
    prefix=f"{API_PREFIX}/matches", tags=["Matches"], route_class=route_class(personal=True, subject=match_subject)
)
MatchId = Annotated[uuid.UUID, Path(alias="matchId", description="The match's id.")]


@router.get(
    "",
    summary="List matches",
    description="Matches the caller's organisation is party to: it came to a household another organisation "
    "already helps, or another came to one it helps. A coordinator sees the team's matches; "
    "`contactRecorded=false` lists those where the two have not yet made contact.",
)
async def list_matches(
    session: Session,
    principal: Reader,
    contact_recorded: Annotated[bool | None, Query(alias="contactRecorded")] = None,
    household_id: Annotated[uuid.UUID | None, Query(alias="householdId")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> MatchPage:
    items, next_cursor = await service.list_matches(session, principal, contact_recorded, household_id, cursor, limit)
    return MatchPage(items=items, next_cursor=next_cursor)


@router.post(
    "/{matchId}/contact",
    summary="Record that the organisations made contact",
    description="Either party (or the coordinator) records that the two organisations spoke; once only.",
    responses=errors(404, 409),
)
async def record_contact(session: Session, principal: Writer, match_id: MatchId) -> MatchRead:
    return await service.record_contact(session, principal, match_id)
