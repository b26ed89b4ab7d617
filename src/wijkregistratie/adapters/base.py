"""The adapter framework: keep one partner organisation's own system in step with the shared record.

An adapter has two halves. `fetch` reads what changed in the partner's system since a checkpoint, and
`apply` puts one such change into the shared record *as that organisation* — through the same services,
and so the same need-to-know rules, as the API. `render` turns a shared-record event into the partner's
shape, and `deliver` writes it there. The framework around them keeps the checkpoints: the pull checkpoint
moves in the transaction that applied the change, the push position after the partner took the event, so
a crash or a partner that is down repeats work rather than losing it. Partners de-duplicate pushed events
on their id; pulled changes land on the same case through the identity map.
"""

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.adapters.config import PartnerConfig
from wijkregistratie.adapters.models import AdapterCheckpoint, AdapterReference
from wijkregistratie.cases.models import Case, Involvement
from wijkregistratie.cases.queries import open_and_involving
from wijkregistratie.core.access_log import distinct_subjects, record_access, watch_subjects
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.errors import Problem
from wijkregistratie.core.purpose import Purpose
from wijkregistratie.core.security import Principal
from wijkregistratie.events.models import Event
from wijkregistratie.events.service import OUTBOX, event_subject, feed_after, publish, to_cloud_event

log = logging.getLogger("wijkregistratie.adapters")
PUSH_BATCH = 100
PULL_BATCHES = 20  # batches a round pulls at most, so one busy partner's round ends


class PartnerUnavailable(Exception):
    """The partner's system could not be read or written now; the next round tries again.

    `cause` sorts it for the metric: `unreachable` (no answer), `refused` (our credentials), `rejected`
    (what we sent), `failing` (the partner's own error) or `garbled` (an answer not in the agreed shape);
    the message says it readably, without any record's content."""

    def __init__(self, reason: str, cause: str = "unreachable") -> None:
        super().__init__(reason)
        self.cause = cause


@dataclass
class Change:
    marker: str  # the partner's own change marker; the checkpoint after this change
    record: dict[str, Any]


class Adapter(Protocol):
    partner: PartnerConfig
    # A kind that writes what it pushes in one piece (a file) takes a round's documents at once, and the
    # push position moves past them only after; otherwise each document is delivered and kept in turn.
    delivers_together: bool
    # A kind that mirrors the whole record (a zaak) takes the partner organisation's own changes too.
    takes_own_changes: bool

    async def fetch(self, since: str) -> Sequence[Change]: ...

    async def apply(self, session: AsyncSession, principal: Principal, change: Change) -> None: ...

    def refused(self, change: Change, field: str, reason: str) -> None:
        """A change that could not be applied: the partner is told where its kind can tell it."""

    async def render(self, session: AsyncSession, event: dict[str, Any]) -> dict[str, Any] | None: ...

    async def deliver(self, documents: Sequence[dict[str, Any]]) -> None: ...

    async def remember(self, session: AsyncSession) -> None:
        """What the partner answered to the documents just delivered (its own ids for what it keeps), kept
        in the transaction that moves the push position past them."""


@dataclass
class RoundResult:
    pulled: int = 0
    rejected: int = 0
    pushed: int = 0
    failure: PartnerUnavailable | None = None


def case_of(event: dict[str, Any]) -> str | None:
    """The case a CloudEvent is about: its `caseId`, or its subject `cases/<id>`; None for other events."""
    subject = str(event.get("subject") or "")
    case_id = (event.get("data") or {}).get("caseId") or (
        subject.removeprefix("cases/") if subject.startswith("cases/") else None
    )
    return None if case_id is None else str(case_id)


def acting_as(partner: PartnerConfig) -> Principal:
    return Principal(
        client_id=f"adapter:{partner.name}",
        organisation_id=partner.organisation_id,
        scopes=frozenset({"record:read", "record:write"}),
    )


async def _checkpoint(session: AsyncSession, partner: PartnerConfig) -> AdapterCheckpoint:
    checkpoint = await session.get(AdapterCheckpoint, partner.name, with_for_update=True)
    if checkpoint is None:
        checkpoint = AdapterCheckpoint(partner=partner.name, organisation_id=partner.organisation_id)
        session.add(checkpoint)
        await session.flush()
    return checkpoint


async def pull(sessions: Any, adapter: Adapter) -> RoundResult:
    result = RoundResult()
    principal = acting_as(adapter.partner)
    for change in await _waited(sessions, adapter.partner):  # its client was taken into a case meanwhile
        async with sessions() as session:
            await _apply(session, adapter, principal, change, result)
            await session.commit()
    async with sessions() as session:
        since = (await _checkpoint(session, adapter.partner)).pulled_up_to
        await session.commit()
    for _ in range(PULL_BATCHES):  # batch after batch while the partner has more, within bounds
        started_at = since
        for change in await adapter.fetch(since):
            async with sessions() as session:
                checkpoint = await _checkpoint(session, adapter.partner)
                if checkpoint.pulled_up_to != since:
                    return result  # another worker moved on meanwhile; it continues from there
                await _apply(session, adapter, principal, change, result)
                checkpoint.pulled_up_to = since = change.marker
                session.add(checkpoint)
                await session.commit()
        if since == started_at:
            break  # nothing more (or a partner answering the same again): the next round looks again
    return result


async def _waited(sessions: Any, partner: PartnerConfig) -> list[Change]:
    """What the partner brought for clients that waited in the team's triage queue, now that their case has
    the partner's organisation involved."""
    statement = (
        select(AdapterReference)
        .join(Case, col(Case.household_id) == AdapterReference.household_id)
        .join(Involvement, col(Involvement.case_id) == Case.id)
        .where(
            AdapterReference.partner == partner.name,
            col(AdapterReference.waiting_since).is_not(None),
            open_and_involving(partner.organisation_id),
        )
        .order_by(col(AdapterReference.waiting_since))
        .limit(PUSH_BATCH)
    )
    async with sessions() as session:
        waited = (await session.exec(statement)).all()
    return [Change(marker=f"waiting:{w.household_id}", record=w.waiting) for w in waited]  # no client number in logs


async def _apply(
    session: AsyncSession, adapter: Adapter, principal: Principal, change: Change, result: RoundResult
) -> None:
    announced = len(session.info.get(OUTBOX, []))
    touched = watch_subjects(session)
    try:
        async with session.begin_nested():
            await adapter.apply(session, principal, change)
        result.pulled += 1
        for subject in distinct_subjects(touched):  # written as the organisation it acts for
            record_access(
                session,
                principal,
                action="change",
                route=f"adapter:{adapter.partner.name}",
                resource_type="partner-change",
                resource_id=change.marker[:60],
                subject=subject,
                status=200,
                purpose=Purpose.synchronisation,
            )
    except (Problem, ValueError, TypeError, KeyError) as refusal:
        # The record itself is wrong (missing or malformed fields): logged without its content, and
        # passed over rather than tried forever; its events went with its rolled-back changes.
        del session.info.get(OUTBOX, [])[announced:]
        reason = refusal.title if isinstance(refusal, Problem) else type(refusal).__name__
        log.warning("partner %s: change %s refused: %s", adapter.partner.name, change.marker, reason)
        adapter.refused(change, *_what_was_wrong(refusal))
        result.rejected += 1


def _what_was_wrong(refusal: Exception) -> tuple[str, str]:
    """The field and the reason of a refused change, for the partner (never the record's content)."""
    if isinstance(refusal, Problem):
        named = refusal.invalid_params or []
        return (named[0].name, named[0].reason) if named else ("", refusal.detail or refusal.title)
    if isinstance(refusal, ValidationError):
        error = refusal.errors()[0]
        return ".".join(str(p) for p in error["loc"]), error["msg"]
    if isinstance(refusal, KeyError):
        return str(refusal.args[0]) if refusal.args else "", "is missing"
    return "", type(refusal).__name__


async def push(sessions: Any, adapter: Adapter) -> RoundResult:
    """The organisation's feed, from where the partner last took it, in order; stops at the first failure."""
    result = RoundResult()
    principal = acting_as(adapter.partner)
    async with sessions() as session:
        await publish(session)
        position = (await _checkpoint(session, adapter.partner)).pushed_up_to
        await session.commit()
        events = (await session.exec(feed_after(principal, position, PUSH_BATCH))).all()
        documents = []
        for event in events:
            # What the partner did itself (through this adapter or its own API client) it already knows.
            own = event.organisation_id == adapter.partner.organisation_id and not adapter.takes_own_changes
            cloud_event = to_cloud_event(event).model_dump(mode="json", by_alias=True, exclude_none=True)
            documents.append((event, None if own else await adapter.render(session, cloud_event)))
    if adapter.delivers_together:
        await adapter.deliver([d for _, d in documents if d is not None])
        await _pushed(sessions, adapter, principal, documents)
        result.pushed += sum(d is not None for _, d in documents)
        return result
    for event, document in documents:
        if document is not None:
            await adapter.deliver([document])  # raises PartnerUnavailable: the position stays before it
            result.pushed += 1
        await _pushed(sessions, adapter, principal, [(event, document)])
    return result


async def _pushed(
    sessions: Any, adapter: Adapter, principal: Principal, documents: Sequence[tuple[Event, dict[str, Any] | None]]
) -> None:
    """The push position past what the partner took, with an access-log entry for each document."""
    if not documents:
        return
    async with sessions() as session:
        checkpoint = await _checkpoint(session, adapter.partner)
        checkpoint.pushed_up_to = max(checkpoint.pushed_up_to, documents[-1][0].position or 0)
        session.add(checkpoint)
        await adapter.remember(session)
        for event, document in documents:
            if document is not None:
                record_access(
                    session,
                    principal,
                    action="push",
                    route=f"adapter:{adapter.partner.name}",
                    resource_type="events",
                    resource_id=str(event.id),
                    subject=event_subject(event),
                    status=200,
                    purpose=Purpose.synchronisation,
                )
        await session.commit()


async def run_round(sessions: Any, adapter: Adapter) -> RoundResult:
    """Pull, then push; a partner that is down or answers nonsense ends the round, never the worker.

    One worker at a time works for a partner: on PostgreSQL the round holds a lock named after the partner,
    and a worker that finds it taken leaves the partner to the other.
    """
    pulled, pushed, failure = RoundResult(), RoundResult(), None
    async with sessions() as guard:
        if guard.bind.dialect.name == "postgresql":
            key = int.from_bytes(hashlib.sha256(adapter.partner.name.encode()).digest()[:8], "big", signed=True)
            if not await guard.scalar(select(func.pg_try_advisory_xact_lock(key))):
                return RoundResult()
        try:
            pulled = await pull(sessions, adapter)
            pushed = await push(sessions, adapter)
        except PartnerUnavailable as exc:
            log.warning("partner %s unavailable (%s): %s", adapter.partner.name, exc.cause, exc)
            failure = exc
        await _say_how_it_went(guard, adapter.partner, failure)
        await guard.commit()  # releases the partner
    return RoundResult(pulled=pulled.pulled, rejected=pulled.rejected, pushed=pushed.pushed, failure=failure)


async def _say_how_it_went(session: AsyncSession, partner: PartnerConfig, failure: PartnerUnavailable | None) -> None:
    """The partner's status on its checkpoint, for the operator (`wijkregistratie partners`): written only
    when it changes, so a partner in step costs no write per round."""
    checkpoint = await _checkpoint(session, partner)
    said = f"{failure.cause}: {failure}"[:300] if failure else None
    if checkpoint.failure != said:
        checkpoint.failure = said
        checkpoint.failing_since = (checkpoint.failing_since or utcnow()) if failure else None
        checkpoint.updated_at = utcnow()
        session.add(checkpoint)
