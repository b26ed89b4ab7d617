"""The transactional outbox and the change feed.

Services call `emit` for every change they make; the events wait in the session and are written by the
commit itself, so no change is committed without its event and no event without its change.

The feed must never show a place after which a lower one can still appear, or a reader keeping up would
step past it for ever. On PostgreSQL, writers do not wait for each other for that: each takes the feed's
lock *shared* as it writes its events and holds it until it commits, and a reader first `publish`es,
taking the lock alone for a moment. Holding it, no writer is between writing its events and committing,
so every event without a place is committed and is given the next places; writers arriving meanwhile
wait for that one statement. SQLite runs one writing transaction at a time, so its events get their
places as they are written.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, text
from sqlalchemy.orm import Session as SyncSession
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from wijkregistratie.access.visibility import events_visible_to, organisations_seeing_case, organisations_seeing_signal
from wijkregistratie.cases.models import Case
from wijkregistratie.cases.queries import open_case_of
from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.database import CHANGES_CHANNEL, SQLITE_WRITE_LOCK, transaction_lock
from wijkregistratie.core.errors import InvalidInput
from wijkregistratie.core.route_facts import Subject
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.models import Event, EventRecipient
from wijkregistratie.events.schemas import CloudEvent, EventPage
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.signals.models import Signal

OUTBOX = "wijkregistratie.outbox"
FEED_LOCK = "wijkregistratie.feed"  # shared by writers until they commit; taken alone to give places
UNPLACED = select(Event.sequence).where(col(Event.position).is_(None)).limit(1)
# Every event without a place gets the next ones, in the order they were written.
GIVE_PLACES = text(
    "UPDATE events SET position = numbered.top + numbered.n "
    "FROM (SELECT sequence, row_number() OVER (ORDER BY sequence) AS n, "
    "(SELECT coalesce(max(position), 0) FROM events) AS top FROM events WHERE position IS NULL) AS numbered "
    "WHERE events.sequence = numbered.sequence"
)
SOURCE = "/wijkregistratie"


@dataclass
class _Pending:
    event: Event
    recipients: set[uuid.UUID]


def emit(
    session: AsyncSession,
    type_: EventType,
    data: dict[str, Any],
    *,
    recipients: Iterable[uuid.UUID],
    case_id: uuid.UUID | None = None,
    signal_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
    professional_id: uuid.UUID | None = None,
    subject: str | None = None,
) -> Event:
    """Record an event of this transaction; it is written by the commit, together with the change."""
    if subject is None:
        subject = f"cases/{case_id}" if case_id else f"signals/{signal_id}" if signal_id else ""
    event = Event(
        type=type_.value,
        subject=subject,
        case_id=case_id,
        signal_id=signal_id,
        team_id=team_id,
        organisation_id=organisation_id,
        professional_id=professional_id,
        data=_json(data),
    )
    session.info.setdefault(OUTBOX, []).append(_Pending(event, set(recipients)))
    return event


async def case_event(
    session: AsyncSession,
    type_: EventType,
    case: Case,
    principal: Principal | None,
    data: dict[str, Any],
    *,
    recipients: Iterable[uuid.UUID] | None = None,
    to_coordinators: bool = True,
) -> Event:
    """An event about a case, for those involved in it now (or the given recipients) and, unless it is
    private to one organisation, the coordinators of its team."""
    await session.flush()  # so an involvement added in this transaction counts
    return emit(
        session,
        type_,
        {"caseId": case.id} | data,
        recipients=await organisations_seeing_case(session, case.id) if recipients is None else recipients,
        case_id=case.id,
        team_id=case.team_id if to_coordinators else None,
        organisation_id=principal.organisation_id if principal else None,
        professional_id=principal.actor_professional_id if principal else None,
    )


async def household_event(
    session: AsyncSession,
    type_: EventType,
    household_id: uuid.UUID,
    principal: Principal,
    data: dict[str, Any],
    also: Iterable[uuid.UUID],
) -> Event:
    """An event about a household: for those involved in its open case, if any, and the organisations named."""
    case = await open_case_of(session, household_id)
    if case is not None:
        told = await organisations_seeing_case(session, case.id) | set(also)
        return await case_event(session, type_, case, principal, {"householdId": household_id} | data, recipients=told)
    return emit(
        session,
        type_,
        {"householdId": household_id} | data,
        recipients=also,
        organisation_id=principal.organisation_id,
        professional_id=principal.actor_professional_id,
    )


async def directory_event(session: AsyncSession, type_: EventType, data: dict[str, Any]) -> Event:
    """A change to the directory (organisations, teams, professionals, services): readable by every
    organisation, so told to every organisation."""
    await session.flush()
    everyone = (await session.exec(select(Organisation.id))).all()
    return emit(session, type_, data, recipients=everyone)


async def signal_event(
    session: AsyncSession, type_: EventType, signal: Signal, principal: Principal, data: dict[str, Any]
) -> Event:
    await session.flush()
    return emit(
        session,
        type_,
        {"signalId": signal.id, "status": signal.status} | data,
        recipients=await organisations_seeing_signal(session, signal),
        signal_id=signal.id,
        team_id=signal.team_id,
        organisation_id=principal.organisation_id,
        professional_id=principal.actor_professional_id,
    )


def _json(value: Any) -> Any:
    """Ids and dates as the API writes them."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@sa_event.listens_for(SyncSession, "before_commit")
def _write_outbox(session: SyncSession) -> None:
    pending: list[_Pending] = session.info.pop(OUTBOX, [])
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":  # the commit also wakes the worker (NOTIFY)
        session.execute(transaction_lock(FEED_LOCK, shared=True).add_columns(func.pg_notify(CHANGES_CHANNEL, "")))
    else:  # the database's one writer from here to the commit: the next places are this transaction's
        session.execute(SQLITE_WRITE_LOCK)
        top = session.scalar(select(func.max(Event.position))) or 0
        for place, p in enumerate(pending, start=top + 1):
            p.event.position = place
    session.add_all([p.event for p in pending])
    session.flush()
    session.add_all(
        EventRecipient(event_sequence=p.event.sequence, organisation_id=organisation)  # type: ignore[arg-type]
        for p in pending
        for organisation in p.recipients
    )


@sa_event.listens_for(SyncSession, "after_rollback")
def _forget_outbox(session: SyncSession) -> None:
    session.info.pop(OUTBOX, None)


def parse_after(after: str | None) -> int:
    if after is None:
        return 0
    if not after.isascii() or not after.isdigit() or len(after) > 18:
        raise InvalidInput.field("after", "a cursor from a previous page (`nextCursor`), or 0 from the start")
    return int(after)


async def publish(session: AsyncSession) -> None:
    """Give every committed event its place in the feed; call it before reading the feed, at the start of
    a transaction (it commits when it placed any). On SQLite every event has its place from the start."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if await session.scalar(UNPLACED) is None:  # nothing to place: writers need not wait for this reader
        return
    await session.scalar(transaction_lock(FEED_LOCK))  # waits for the writers now committing
    await session.exec(GIVE_PLACES)  # type: ignore[call-overload]
    await session.commit()


async def feed_end(session: AsyncSession) -> int:
    """The last place in the feed, once every event committed so far has its place: a cursor from now on
    (it commits, as `publish` does)."""
    await publish(session)
    return int(await session.scalar(select(func.max(Event.position))) or 0)


def feed_after(principal: Principal, position: int, limit: int, *, until: int | None = None) -> SelectOfScalar[Event]:
    """The events after `position` (up to `until`) that `principal` may see, in feed order: what a feed
    page, a webhook subscription and an adapter's push read."""
    statement = select(Event).where(col(Event.position) > position, events_visible_to(principal))
    if until is not None:
        statement = statement.where(col(Event.position) <= until)
    return statement.order_by(col(Event.position)).limit(limit)


async def read_feed(session: AsyncSession, principal: Principal, after: str | None, limit: int) -> EventPage:
    position = parse_after(after)
    await publish(session)
    events = (await session.exec(feed_after(principal, position, limit))).all()
    note_subjects(session, *(event_subject(e) for e in events))
    items = [to_cloud_event(e) for e in events]
    last = events[-1].position if events else position
    return EventPage(items=items, next_cursor=str(last))


def event_subject(event: Event) -> Subject:
    """Whose file an event is about, for the access log of whoever receives it."""
    household = event.data.get("householdId") if isinstance(event.data, dict) else None
    try:
        household_id = uuid.UUID(str(household)) if household else None
    except ValueError:
        household_id = None
    return Subject(case_id=event.case_id, household_id=household_id)


def to_cloud_event(event: Event) -> CloudEvent:
    return CloudEvent(
        id=str(event.id),
        source=SOURCE,
        type=event.type,
        subject=event.subject or None,
        time=event.time,
        sequence=str(event.position),
        data=event.data,
    )
