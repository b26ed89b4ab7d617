"""The team's learning: case discussions and learning notes gathered per team and period.

The team reads them as they are, for the cases it may see. The municipality reads the learning notes
without anything that points to a household: no case or household, the month instead of the day, the
household's names, street and city, digits that could be a phone number, BSN or postcode, and e-mail
addresses taken out — and nothing at all when the selection holds fewer notes than the figures' secrecy
threshold, so one note cannot be tied to the one case that closed.
"""

import re
import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.visibility import cases_visible_to, journal_entries_visible_to
from wijkregistratie.cases.models import Case
from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.clock import today
from wijkregistratie.core.codes import CaseStatus, JournalKind
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.route_facts import Subject
from wijkregistratie.core.security import Principal
from wijkregistratie.figures.service import municipality_read_by, parse_period
from wijkregistratie.households.models import Household, Member
from wijkregistratie.households.queries import household_names
from wijkregistratie.journal.models import JournalEntry
from wijkregistratie.learning.schemas import (
    CaseDiscussion,
    LearningNote,
    SharedLearningNote,
    SharedLearningNotes,
)
from wijkregistratie.teams.models import Team
from wijkregistratie.teams.queries import team_by_id

# The municipality reads a period's learning notes only when enough cases closed in it that none points to one.
MINIMUM_NOTES = 8
REDACTED = "[…]"
EMAIL = re.compile(r"\S+@\S+")
DIGITS = re.compile(r"\d[\d\s-]{3,}\d|\d{4}\s?[A-Za-z]{2}\b")


def _period(value: str) -> tuple[datetime, datetime]:
    start, end = parse_period(value, today())
    return datetime.combine(start, time.min, UTC), datetime.combine(end + timedelta(days=1), time.min, UTC)


async def case_discussions(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, period: str, cursor: str | None, limit: int
) -> tuple[list[CaseDiscussion], str | None]:
    """The case discussions in the journals of the team's cases the caller may see, held in the period."""
    team = await team_by_id(session, team_id)
    start, end = _period(period)
    statement = (
        select(JournalEntry)
        .join(Case, col(Case.id) == JournalEntry.case_id)
        .where(
            Case.team_id == team.id,
            cases_visible_to(principal),
            journal_entries_visible_to(principal),
            JournalEntry.kind == JournalKind.case_discussion,
            col(JournalEntry.occurred_at) >= start,
            col(JournalEntry.occurred_at) < end,
        )
    )
    entries, next_cursor = await paginate(session, statement, JournalEntry.occurred_at, JournalEntry.id, cursor, limit)
    households = dict(
        (
            await session.exec(select(Case.id, Case.household_id).where(col(Case.id).in_({e.case_id for e in entries})))
        ).all()
    )
    names = await household_names(session, households.values())
    note_subjects(session, *(Subject(case_id=e.case_id, household_id=households[e.case_id]) for e in entries))
    return [
        CaseDiscussion.model_validate(e.model_dump() | {"household_name": names[households[e.case_id]].surname})
        for e in entries
    ], next_cursor


def _closed_in(team_id: uuid.UUID, start: datetime, end: datetime) -> ColumnElement[bool]:
    """Correlated with `Case`: closed in the period with a learning note, and not erased."""
    return and_(
        col(Case.team_id) == team_id,
        col(Case.status) == CaseStatus.closed,
        col(Case.learning_note).is_not(None),
        col(Case.erased_at).is_(None),
        col(Case.closed_at) >= start,
        col(Case.closed_at) < end,
    )


async def learning_notes(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, period: str, cursor: str | None, limit: int
) -> tuple[list[LearningNote], str | None]:
    """The learning notes of the team's cases closed in the period, for those who may see the cases."""
    team = await team_by_id(session, team_id)
    start, end = _period(period)
    statement = select(Case).where(_closed_in(team.id, start, end), cases_visible_to(principal))
    cases, next_cursor = await paginate(session, statement, Case.closed_at, Case.id, cursor, limit)
    names = await household_names(session, {c.household_id for c in cases})
    note_subjects(session, *(Subject(case_id=c.id, household_id=c.household_id) for c in cases))
    return [
        LearningNote.model_validate(c.model_dump() | {"case_id": c.id, "household_name": names[c.household_id].surname})
        for c in cases
    ], next_cursor


async def shared_learning_notes(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID | None, period: str
) -> SharedLearningNotes:
    """The learning notes of a municipality's teams, for its figures client, with nothing that points to a
    household."""
    municipality = await municipality_read_by(session, principal.municipality_code, team_id)
    start, end = _period(period)
    teams = (
        [team_id]
        if team_id
        else list((await session.exec(select(Team.id).where(Team.municipality_code == municipality))).all())
    )
    cases = [case for t in teams for case in (await session.exec(select(Case).where(_closed_in(t, start, end)))).all()]
    withheld = len(cases) < MINIMUM_NOTES
    notes = [] if withheld else [await _shared(session, c) for c in cases]
    return SharedLearningNotes(
        team_id=team_id,
        period=period,
        start_date=start.date(),
        end_date=(end - timedelta(days=1)).date(),
        minimum_notes=MINIMUM_NOTES,
        withheld=withheld,
        notes=sorted(notes, key=lambda n: (n.month, n.learning_note)),
    )


async def _shared(session: AsyncSession, case: Case) -> SharedLearningNote:
    household = (await session.exec(select(Household).where(Household.id == case.household_id))).one()
    members = (await session.exec(select(Member).where(Member.household_id == case.household_id))).all()
    words = {household.street, household.city, *(m.surname for m in members)}
    words |= {name for m in members for name in (m.given_names or "").split()}
    closed_at = case.closed_at or datetime.now(UTC)
    return SharedLearningNote(
        month=f"{closed_at.year:04d}-{closed_at.month:02d}",
        closure_reason=case.closure_reason,
        handled_by=case.handled_by,
        learning_note=redact(case.learning_note or "", {w for w in words if w and len(w) > 1}),
    )


def redact(text: str, names: set[str]) -> str:
    """The text without the names given, e-mail addresses, and runs of digits (phone, BSN, postcode)."""
    text = EMAIL.sub(REDACTED, text)
    text = DIGITS.sub(REDACTED, text)
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}\b", REDACTED, text, flags=re.IGNORECASE)
    return text
