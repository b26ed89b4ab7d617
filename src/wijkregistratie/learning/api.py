import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from wijkregistratie.core.database import Session
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Reader
from wijkregistratie.figures.api import FiguresReader
from wijkregistratie.learning import service
from wijkregistratie.learning.schemas import CaseDiscussionPage, LearningNotePage, SharedLearningNotes

_ONE = r"(19|2[0-9])[0-9]{2}(-(Q[1-4]|0[1-9]|1[0-2]))?"
PERIOD_PATTERN = rf"^{_ONE}(/{_ONE})?$"
router = APIRouter(prefix=API_PREFIX, tags=["Learning"], route_class=Route)
TeamId = Annotated[uuid.UUID, Path(alias="teamId", description="The team's id.")]
Period = Annotated[
    str,
    Query(
        max_length=30,
        pattern=PERIOD_PATTERN,
        examples=["2026-Q1"],
        description="`2026`, `2026-Q2`, `2026-03`, or an interval such as `2026-01/2026-06`.",
    ),
]


@router.get(
    "/teams/{teamId}/case-discussions",
    summary="The team's case discussions",
    description="The case discussions held in the period, from the journals of the team's cases the caller "
    "may see (a coordinator: all of the team's), oldest first, each with the household's surname: what the "
    "team's two-weekly discussion of intakes works from.",
    responses=errors(404),
)
@declare(personal=True)
async def case_discussions(
    session: Session,
    principal: Reader,
    team_id: TeamId,
    period: Period,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> CaseDiscussionPage:
    items, next_cursor = await service.case_discussions(session, principal, team_id, period, cursor, limit)
    return CaseDiscussionPage(items=items, next_cursor=next_cursor)


@router.get(
    "/teams/{teamId}/learning-notes",
    summary="The team's learning notes",
    description="What the team's cases closed in the period taught it — what worked, the obstacles and how "
    "they were solved — with how each case ended, for the cases the caller may see (a coordinator: all).",
    responses=errors(404),
)
@declare(personal=True)
async def learning_notes(
    session: Session,
    principal: Reader,
    team_id: TeamId,
    period: Period,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> LearningNotePage:
    items, next_cursor = await service.learning_notes(session, principal, team_id, period, cursor, limit)
    return LearningNotePage(items=items, next_cursor=next_cursor)


@router.get(
    "/figures/learning-notes",
    summary="Learning notes for the municipality",
    description="The learning notes of the municipality's teams (or one team) for cases closed in the period, "
    "with nothing that points to a household: no case, the month instead of the day, the household's names, "
    "street and city, numbers and e-mail addresses taken out, by month and then alphabetically. A selection "
    "with fewer notes than `minimumNotes` is withheld. Needs the `figures:read` scope; a figures client reads "
    "its own municipality only.",
    responses=errors(403),
)
async def shared_learning_notes(
    session: Session,
    principal: FiguresReader,
    period: Period,
    team_id: Annotated[uuid.UUID | None, Query(alias="teamId")] = None,
) -> SharedLearningNotes:
    return await service.shared_learning_notes(session, principal, team_id, period)
