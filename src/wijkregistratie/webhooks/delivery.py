"""Webhook delivery: signed per Standard Webhooks, in feed order per subscription, each subscription in a
lane of its own.

Fan-out hands each subscription the events its owner may see, moving its cursor in the same transaction as
the deliveries it creates — past what it may not see or did not ask for too, so an idle subscription does
not rescan the feed. Delivery works each due subscription in a lane of its own, a bounded number at once
and each for at most a round's time, so a slow receiver delays itself only. A worker takes a subscription
by leasing it for a while, and holds no lock while a receiver answers; one that dies mid-round leaves the
lease to run out, and another carries on. Only the oldest waiting delivery is tried: a failing subscription
backs off as a whole, in order, and once its oldest waiting delivery has waited longer than the retry
window it is suspended and all it had waiting is dead-lettered together, as after `410 Gone`. Delivery is
at least once — a worker killed mid-call leaves the delivery waiting — so receivers de-duplicate on
`webhook-id`, which is the event's id.
"""

import base64
import hashlib
import hmac
import logging
import random
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from wijkregistratie.access.visibility import events_visible_to, subscription_principal
from wijkregistratie.core.access_log import record_access
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.purpose import Purpose
from wijkregistratie.core.security import Principal
from wijkregistratie.core.settings import Settings
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.models import Event
from wijkregistratie.events.service import emit, event_subject, feed_after, feed_end, to_cloud_event
from wijkregistratie.webhooks import callbacks
from wijkregistratie.webhooks.models import Delivery, Subscription

log = logging.getLogger("wijkregistratie.webhooks")

# Seconds a failing subscription waits after each failed try in a row (the last one from then on), until
# the retry window is over.
BACKOFF = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800]
FAN_OUT_BATCH = 500
QUEUE_BATCH = 100  # deliveries read at once
KEEP_EVERY = 0.5  # seconds between commits of what was sent: at most that much goes out twice after a crash
LEASE_MARGIN = 5.0
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret


class SecretBox:
    """Signing secrets, encrypted at rest; the first key encrypts, every key decrypts (rotation)."""

    def __init__(self, settings: Settings) -> None:
        self._fernet = MultiFernet([Fernet(k.get_secret_value().encode()) for k in settings.webhook_secret_keys])

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode()).decode()


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: HMAC-SHA256 over `id.timestamp.body` with the decoded secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


async def fan_out(session: AsyncSession) -> int:
    """Create the deliveries of every active subscription for the events after its cursor."""
    created = 0
    end = await feed_end(session)
    statement = (
        select(Subscription)
        .where(Subscription.status == "active", col(Subscription.cursor) < end)
        .with_for_update(skip_locked=True)
    )
    for subscription in (await session.exec(statement)).all():
        principal = await subscription_principal(session, subscription)
        if principal is None:
            continue  # its owner was disabled: nothing is handed on until it is enabled again
        events = (await session.exec(feed_after(principal, subscription.cursor, FAN_OUT_BATCH, until=end))).all()
        for event in events:
            if not subscription.event_types or event.type in subscription.event_types:
                session.add(
                    Delivery(
                        subscription_id=subscription.id,
                        event_sequence=event.sequence,  # type: ignore[arg-type]
                        event_id=event.id,
                        event_type=event.type,
                    )
                )
                created += 1
        # A short page is the end of what it may see: the next round starts at the feed's end.
        subscription.cursor = events[-1].position if len(events) == FAN_OUT_BATCH else end  # type: ignore[assignment]
        session.add(subscription)
    await session.commit()
    return created


def _free(now: datetime) -> ColumnElement[bool]:
    """Active, not backing off and not leased by a worker."""
    return and_(
        col(Subscription.status) == "active",
        or_(col(Subscription.retry_at).is_(None), col(Subscription.retry_at) <= now),
        or_(col(Subscription.leased_until).is_(None), col(Subscription.leased_until) <= now),
    )


def due_subscriptions(now: datetime, limit: int, busy: Collection[uuid.UUID]) -> SelectOfScalar[uuid.UUID]:
    """Free subscriptions with a delivery waiting."""
    waiting = select(Delivery.id).where(Delivery.subscription_id == Subscription.id, Delivery.state == "pending")
    statement = select(Subscription.id).where(_free(now), waiting.exists())
    if busy:
        statement = statement.where(col(Subscription.id).not_in(busy))
    return statement.limit(limit)


@dataclass
class Outcome:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    stopped: str | None = None  # the status the subscription was stopped with, if it was
    lags: list[float] = field(default_factory=list)  # seconds from the event to its receipt
    failures_by_organisation: Counter[str] = field(default_factory=Counter)


async def deliver_subscription(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: httpx.AsyncClient,
    box: SecretBox,
    subscription_id: uuid.UUID,
) -> Outcome:
    """One round of one subscription: lease it, send what waits in order until a try fails or the round's
    time is up, and give the lease back."""
    outcome = Outcome()
    deadline = time.monotonic() + settings.webhook_round_seconds
    async with sessions() as session:
        subscription = await _lease(session, subscription_id, settings)
        if subscription is None:
            return outcome  # another worker has it, or it stopped meanwhile
        try:
            owner = await subscription_principal(session, subscription)
            if owner is not None:  # its owner was disabled: what waits stays until it is enabled again
                await _work_queue(session, settings, client, box, subscription, owner, deadline, outcome)
        finally:
            await session.rollback()
            await session.exec(
                update(Subscription).where(col(Subscription.id) == subscription_id).values(leased_until=None)
            )
            await session.commit()
    return outcome


async def _lease(session: AsyncSession, subscription_id: uuid.UUID, settings: Settings) -> Subscription | None:
    now = utcnow()
    # Long enough for a round and its last call: a lease never runs out under a worker still sending.
    until = now + timedelta(seconds=settings.webhook_round_seconds + settings.webhook_timeout_seconds + LEASE_MARGIN)
    taken = await session.exec(
        update(Subscription).where(col(Subscription.id) == subscription_id, _free(now)).values(leased_until=until)
    )
    subscription = await session.get(Subscription, subscription_id) if taken.rowcount == 1 else None
    await session.commit()
    return subscription


async def _work_queue(
    session: AsyncSession,
    settings: Settings,
    client: httpx.AsyncClient,
    box: SecretBox,
    subscription: Subscription,
    owner: Principal,
    deadline: float,
    outcome: Outcome,
) -> None:
    secret = box.open(subscription.secret_encrypted)
    while time.monotonic() < deadline:
        # Rights follow the owner as it stands when its queue is read, a round's time before sending at most.
        queue = await session.exec(
            select(Delivery, Event, events_visible_to(owner))
            .join(Event, col(Event.sequence) == Delivery.event_sequence)
            .where(Delivery.subscription_id == subscription.id, Delivery.state == "pending")
            .order_by(col(Event.position))
            .limit(QUEUE_BATCH)
        )
        rows = queue.all()
        await session.commit()  # nothing is held while a receiver answers
        if not rows:
            return
        kept = time.monotonic()
        try:
            for head, event, visible in rows:
                if time.monotonic() >= deadline:
                    return
                if not visible:  # what its owner may no longer see is not sent, whatever it could see before
                    head.state, head.last_error = "withdrawn", "the subscription's owner may no longer see this event"
                    session.add(head)
                    continue
                status, error = await _send(client, settings, subscription.url, secret, event)
                if not await _record(session, settings, subscription, owner, head, event, status, error, outcome):
                    return
                if time.monotonic() - kept >= KEEP_EVERY:
                    await session.commit()
                    kept = time.monotonic()
        finally:
            await session.commit()  # what was sent is kept in one transaction, not one per event


async def _record(
    session: AsyncSession,
    settings: Settings,
    subscription: Subscription,
    owner: Principal,
    head: Delivery,
    event: Event,
    status: int | None,
    error: str | None,
    outcome: Outcome,
) -> bool:
    """Keep the outcome of one try; True when the receiver took it."""
    now = utcnow()
    head.attempts += 1
    head.last_status, head.last_error = status, error
    session.add_all([head, subscription])
    record_access(
        session,
        owner,
        action="push",
        route="webhook",
        resource_type="events",
        resource_id=str(event.id),
        subject=event_subject(event),
        status=status or 0,
        purpose=Purpose.synchronisation,
    )
    if status is not None and 200 <= status < 300:
        head.state, head.delivered_at = "delivered", now
        subscription.failures, subscription.retry_at = 0, None
        outcome.delivered += 1
        outcome.lags.append((now - event.time).total_seconds())
        return True
    if status == 410:  # the receiver says this callback is gone for good
        await _stop(session, subscription, head, "disabled", "the callback answered 410 Gone", outcome)
    elif (now - head.created_at).total_seconds() > settings.webhook_retry_window_seconds:
        reason = f"its receiver kept failing for longer than the retry window ({error})"
        await _stop(session, subscription, head, "suspended", reason[:200], outcome)
    else:
        subscription.failures += 1
        subscription.retry_at = head.next_attempt_at = next_try(now, subscription.failures)
        outcome.failed += 1
        outcome.failures_by_organisation[str(subscription.organisation_id)] += 1
    return False


async def _stop(
    session: AsyncSession, subscription: Subscription, head: Delivery, status: str, reason: str, outcome: Outcome
) -> None:
    """Stop a subscription and dead-letter all it had waiting, at once; its owner is told by an event."""
    head.state = "dead"
    await session.flush()
    rest = await session.exec(
        update(Delivery)
        .where(col(Delivery.subscription_id) == subscription.id, col(Delivery.state) == "pending")
        .values(state="dead", last_error="dead-lettered with its subscription")
    )
    subscription.status, subscription.disabled_reason = status, reason
    subscription.failures, subscription.retry_at = 0, None
    outcome.dead += 1 + rest.rowcount
    outcome.stopped = status
    emit(
        session,
        EventType.webhook_stopped,
        {"subscriptionId": subscription.id, "status": status, "reason": reason, "deadLettered": 1 + rest.rowcount},
        recipients=[subscription.organisation_id],
        organisation_id=subscription.organisation_id,
        subject=f"webhooks/{subscription.id}",
    )


def next_try(now: datetime, failures: int) -> datetime:
    """Exponential backoff with jitter, so receivers coming back up are not hit all at once."""
    delay = BACKOFF[min(failures, len(BACKOFF)) - 1]
    return now + timedelta(seconds=delay * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not a secret


async def _send(
    client: httpx.AsyncClient, settings: Settings, url: str, secret: str, event: Event
) -> tuple[int | None, str | None]:
    try:
        target = await callbacks.resolve(url, settings)  # now: a name may resolve elsewhere than before
    except callbacks.CallbackRefused as refusal:
        return None, refusal.reason
    body = to_cloud_event(event).model_dump_json(by_alias=True, exclude_none=True).encode()
    timestamp = int(time.time())
    headers = target.headers | {
        "content-type": "application/cloudevents+json",
        "webhook-id": str(event.id),
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, str(event.id), timestamp, body),
    }
    try:
        response = await client.post(
            target.url,
            content=body,
            headers=headers,
            extensions=target.extensions,
            timeout=settings.webhook_timeout_seconds,
        )
    except httpx.TimeoutException:
        return None, "the receiver did not answer in time"
    except httpx.HTTPError as exc:
        return None, f"the receiver could not be reached ({type(exc).__name__})"
    return response.status_code, None if response.is_success else f"the receiver answered {response.status_code}"
