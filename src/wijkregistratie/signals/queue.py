"""The coordinator's triage queue: every unsettled signal of the team with what a screen shows of it, in
one answer — whose household, who reported it, who took it up, whether a case exists, and how urgent."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import require_coordinator
from wijkregistratie.access.visibility import signals_open_to_take_up
from wijkregistratie.cases.models import Case
from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.clock import today
from wijkregistratie.core.codes import CaseStatus, LifeDomain, SignalSource, SignalStatus, Urgency
from wijkregistratie.core.errors import InvalidInput
from wijkregistratie.core.route_facts import Subject
from wijkregistratie.core.security import Principal
from wijkregistratie.households.queries import HouseholdName, household_names
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.professionals.models import Professional
from wijkregistratie.signals.models import Signal, SignalAssignment
from wijkregistratie.signals.queries import signal_reads
from wijkregistratie.signals.schemas import (
    AssignedProfessional,
    OpenSignal,
    SignalRead,
    TriageQueue,
    TriageQueueItem,
)
from wijkregistratie.signals.triage import PAIR, UNSETTLED
from wijkregistratie.teams.queries import team_by_id

MOST_URGENT_FIRST = {Urgency.crisis: 0, Urgency.high: 1, Urgency.normal: 2}


@dataclass(frozen=True)
class QueueFilter:
    urgency: Urgency | None = None
    source: SignalSource | None = None
    life_domain: LifeDomain | None = None
    status: SignalStatus | None = None
    overdue: bool | None = None


async def queue(session: AsyncSession, principal: Principal, team_id: uuid.UUID, wanted: QueueFilter) -> TriageQueue:
    require_coordinator(principal, team_id, "see its triage queue")
    if wanted.status is not None and wanted.status not in UNSETTLED:
        raise InvalidInput.field("status", "the queue holds open and in-triage signals only")
    team = await team_by_id(session, team_id)
    statement = select(Signal).where(Signal.team_id == team_id, col(Signal.status).in_(UNSETTLED))
    for column, value in (
        (Signal.urgency, wanted.urgency),
        (Signal.source, wanted.source),
        (Signal.status, wanted.status),
    ):
        if value is not None:
            statement = statement.where(column == value)
    signals = [
        s
        for s in (await session.exec(statement.order_by(col(Signal.registered_at), col(Signal.id)).limit(1000))).all()
        if wanted.life_domain is None or wanted.life_domain in s.life_domains
    ]
    reads = await signal_reads(session, signals)
    names = await _names(session, reads)
    now = today()
    items = []
    for read in reads:
        registered_on = today(read.registered_at)
        due = registered_on + timedelta(days=team.first_contact_target_days)
        overdue = read.first_contact_on is None and now > due
        if wanted.overdue is not None and overdue != wanted.overdue:
            continue
        household = names.households[read.household_id]
        items.append(
            TriageQueueItem.model_validate(
                read.model_dump()
                | {
                    "household_name": household.surname,
                    "address_line": household.address_line,
                    "reporting_organisation_name": names.organisations.get(read.reporting_organisation_id, ""),
                    "assigned_professionals": [
                        AssignedProfessional(professional_id=p, name=names.professionals.get(p, ""))
                        for p in read.assigned_professional_ids
                    ],
                    "household_has_open_case": read.household_id in names.with_open_case,
                    "age_days": (now - registered_on).days,
                    "first_contact_due_on": due,
                    "first_contact_within_target": (read.first_contact_on <= due) if read.first_contact_on else None,
                    "overdue": overdue,
                }
            )
        )
    items.sort(key=lambda i: (MOST_URGENT_FIRST[i.urgency], i.registered_at, i.id))
    return TriageQueue(team_id=team.id, first_contact_target_days=team.first_contact_target_days, items=items)


async def open_to_take_up(session: AsyncSession, principal: Principal, team_id: uuid.UUID) -> list[OpenSignal]:
    """The team's unsettled signals that fewer than two professionals took up, most urgent and oldest first."""
    await team_by_id(session, team_id)
    taken_up = select(func.count()).where(SignalAssignment.signal_id == Signal.id).correlate(Signal).scalar_subquery()
    statement = (
        select(Signal, taken_up)
        .where(Signal.team_id == team_id, signals_open_to_take_up(principal), taken_up < PAIR)
        .order_by(col(Signal.registered_at), col(Signal.id))
        .limit(1000)
    )
    rows = (await session.exec(statement)).all()
    note_subjects(session, *(Subject(household_id=s.household_id) for s, _ in rows))
    now = today()
    items = [
        OpenSignal.model_validate(
            signal.model_dump() | {"age_days": (now - today(signal.registered_at)).days, "taken_up_by": count}
        )
        for signal, count in rows
    ]
    return sorted(items, key=lambda i: (MOST_URGENT_FIRST[i.urgency], i.registered_at, i.id))


@dataclass(frozen=True)
class _Names:
    households: dict[uuid.UUID, HouseholdName]
    organisations: dict[uuid.UUID, str]
    professionals: dict[uuid.UUID, str]
    with_open_case: set[uuid.UUID]


async def _names(session: AsyncSession, signals: list[SignalRead]) -> _Names:
    """What the items name, in one query per kind for the whole queue."""
    household_ids = {s.household_id for s in signals}
    organisation_ids = {s.reporting_organisation_id for s in signals}
    organisations = await session.exec(
        select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(organisation_ids))
    )
    professional_ids = {p for read in signals for p in read.assigned_professional_ids}
    professionals = await session.exec(
        select(Professional.id, Professional.name).where(col(Professional.id).in_(professional_ids))
    )
    open_cases = await session.exec(
        select(Case.household_id).where(col(Case.household_id).in_(household_ids), Case.status != CaseStatus.closed)
    )
    return _Names(
        households=await household_names(session, household_ids),
        organisations=dict(organisations.all()),
        professionals=dict(professionals.all()),
        with_open_case=set(open_cases.all()),
    )
