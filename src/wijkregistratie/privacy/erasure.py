"""Erasure of a household's file: on its request (AVG art. 17, Jeugdwet art. 7.3.9), or by the worker when
the retention period has passed (Jeugdwet art. 7.3.8: 20 years; Wmo 2015: 15 years, both configurable).

Erasure takes the people out and leaves the counts: members, consents, plans, journal, referrals, files and
the rest go; signals, cases and the household stay as rows without personal data (their dates, team,
neighbourhood and codes), so the figures do not change; events keep their number and lose their content.
The access log keeps every look at the file, and the erasure itself. The organisations that held the file
are told (`household.erased`), so they can erase their own copies (AVG art. 19).
"""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.cases.models import Case, Involvement
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import CaseStatus, SignalStatus
from wijkregistratie.core.errors import Conflict, NotFound
from wijkregistratie.core.models import AccessLogEntry
from wijkregistratie.core.security import Principal
from wijkregistratie.core.settings import Settings
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import emit
from wijkregistratie.households.models import Household, Member
from wijkregistratie.privacy.inventory import PERSONAL_TABLES, Erase, Reach, reach, table
from wijkregistratie.privacy.models import Erasure
from wijkregistratie.signals.models import Signal

OPEN_SIGNAL_STATUSES = (SignalStatus.open.value, SignalStatus.in_triage.value)
ADULT_AGE = 18


class Grounds(StrEnum):
    request = "request"  # the household asked
    retention = "retention"  # the retention period passed


async def erase_household(
    session: AsyncSession,
    household_id: uuid.UUID,
    grounds: Grounds,
    *,
    principal: Principal | None = None,
    request_reference: str | None = None,
) -> Erasure:
    # Locked (PostgreSQL) so that two erasures of one household cannot both run.
    household = await session.get(Household, household_id, with_for_update=True)
    if household is None or household.erased_at is not None:
        raise NotFound("No household with this id exists, or its file was erased already.")
    await _refuse_while_in_progress(session, household_id)
    members = (await session.exec(select(Member.id).where(Member.household_id == household_id))).all()
    ids = await reach(session, household_id, list(members))
    told, team_id = await _holders(session, ids)
    now = utcnow()
    connection = await session.connection()
    rows: dict[str, int] = {}
    for name, entry in PERSONAL_TABLES.items():
        target = table(name)
        condition = ids.condition(target, entry)
        if entry.erase is Erase.keep or condition is None:
            continue
        if entry.erase is Erase.delete:
            result = await connection.execute(delete(target).where(condition))
        else:
            stamp = {"erased_at": now} if "erased_at" in target.c else {}
            result = await connection.execute(update(target).where(condition).values(entry.emptied | stamp))
        rows[name] = result.rowcount
    session.expire_all()  # rows changed behind the ORM's back
    erasure = Erasure(
        household_id=household_id,
        grounds=grounds.value,
        request_reference=request_reference,
        client_id=principal.client_id if principal else None,
        organisation_id=principal.organisation_id if principal else None,
        erased_at=now,
        rows=rows,
    )
    session.add(erasure)
    emit(
        session,
        EventType.household_erased,
        {"householdId": household_id, "caseIds": ids.cases, "signalIds": ids.signals, "grounds": grounds.value},
        recipients=told,
        team_id=team_id,
        organisation_id=principal.organisation_id if principal else None,
    )
    await session.flush()
    return erasure


async def _refuse_while_in_progress(session: AsyncSession, household_id: uuid.UUID) -> None:
    open_case = await session.scalar(
        select(func.count()).where(Case.household_id == household_id, Case.status != CaseStatus.closed)
    )
    if open_case:
        raise Conflict("The household has an open case; close it before its file is erased.")
    open_signals = await session.scalar(
        select(func.count()).where(Signal.household_id == household_id, col(Signal.status).in_(OPEN_SIGNAL_STATUSES))
    )
    if open_signals:
        raise Conflict("The household has a signal in triage; decide on it before its file is erased.")


async def _holders(session: AsyncSession, ids: Reach) -> tuple[set[uuid.UUID], uuid.UUID | None]:
    """The organisations that held part of the file, and the team of its latest case or signal: told of
    the erasure, read before the involvements go."""
    told: set[uuid.UUID] = set()
    latest_team: uuid.UUID | None = None
    if ids.signals:
        signals = (
            await session.exec(
                select(Signal).where(col(Signal.id).in_(ids.signals)).order_by(col(Signal.registered_at))
            )
        ).all()
        for signal in signals:
            told.add(signal.reporting_organisation_id)
            if signal.forwarded_to_organisation_id:
                told.add(signal.forwarded_to_organisation_id)
        latest_team = signals[-1].team_id if signals else None
    if ids.cases:
        involved = select(Involvement.organisation_id).where(col(Involvement.case_id).in_(ids.cases))
        told |= set((await session.exec(involved)).all())
        statement = select(Case.team_id).where(col(Case.id).in_(ids.cases)).order_by(col(Case.opened_at).desc())
        latest_team = (await session.exec(statement)).first() or latest_team
    return told, latest_team


# --- the retention period ---------------------------------------------------------------------------


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


async def file_ended(session: AsyncSession, household_id: uuid.UUID) -> datetime | None:
    """When the household's file last saw work: its last case closed or its last signal came in."""
    closed = await session.scalar(select(func.max(Case.closed_at)).where(Case.household_id == household_id))
    registered = await session.scalar(select(func.max(Signal.registered_at)).where(Signal.household_id == household_id))
    moments = [m for m in (closed, registered) if m is not None]
    return max(moments) if moments else None


async def retention_years(session: AsyncSession, settings: Settings, household_id: uuid.UUID, ended: datetime) -> int:
    """A youth file when someone in the household was under 18 when the file ended; otherwise a Wmo file."""
    adult_from = _years_before(ended, ADULT_AGE).date()
    minors = await session.scalar(
        select(func.count()).where(Member.household_id == household_id, col(Member.date_of_birth) > adult_from)
    )
    return settings.retention_years_youth if minors else settings.retention_years_wmo


async def erase_expired(session: AsyncSession, settings: Settings, *, page: int = 500) -> list[uuid.UUID]:
    """Erase every file whose retention period has passed; returns the households erased.

    Each erasure leaves an access-log entry of its own, in the same transaction."""
    now = utcnow()
    shortest = _years_before(now, min(settings.retention_years_youth, settings.retention_years_wmo))
    no_open_case = ~select(Case.id).where(Case.household_id == Household.id, Case.status != CaseStatus.closed).exists()
    no_recent_case = ~select(Case.id).where(Case.household_id == Household.id, col(Case.closed_at) >= shortest).exists()
    no_recent_signal = ~(
        select(Signal.id)
        .where(
            Signal.household_id == Household.id,
            or_(col(Signal.registered_at) >= shortest, col(Signal.status).in_(OPEN_SIGNAL_STATUSES)),
        )
        .exists()
    )
    candidates = select(Household.id).where(
        col(Household.erased_at).is_(None),
        col(Household.created_at) < shortest,
        no_open_case,
        no_recent_case,
        no_recent_signal,
    )
    erased: list[uuid.UUID] = []
    after: uuid.UUID | None = None
    while True:
        statement = candidates.where(col(Household.id) > after) if after else candidates
        found = (await session.exec(statement.order_by(col(Household.id)).limit(page))).all()
        for household_id in found:
            ended = await file_ended(session, household_id) or now
            if ended < _years_before(now, await retention_years(session, settings, household_id, ended)):
                await erase_household(session, household_id, Grounds.retention)
                session.add(_logged_by_the_worker(household_id))
                erased.append(household_id)
        if len(found) < page:
            return erased
        after = found[-1]


def _logged_by_the_worker(household_id: uuid.UUID) -> AccessLogEntry:
    return AccessLogEntry(
        client_id="worker",
        action="erase",
        method="TASK",
        route="retention period",
        resource_type="households",
        resource_id=str(household_id),
        household_id=household_id,
        status=200,
        outcome="allowed",
    )
