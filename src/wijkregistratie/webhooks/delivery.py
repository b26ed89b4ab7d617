"""Webhook delivery: signed per Standard Webhooks, in feed order per subscription, retried for about a day.

The worker hands each subscription the events its organisation may see (moving the subscription's
cursor in the same transaction as the deliveries it creates), then delivers. A subscription is worked on
by one worker at a time (its row is locked, and other workers skip it), and only its oldest waiting
delivery is tried: a receiver that is down holds its own queue, in order, and no one else's. Delivery is
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
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from cryptography.fernet import Fernet, MultiFernet
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.visibility import events_visible_to, subscription_principal
from wijkregistratie.core.access_log import record_access
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.purpose import Purpose
from wijkregistratie.core.security import Principal
from wijkregistratie.core.settings import Settings
from wijkregistratie.events.models import Event
from wijkregistratie.events.service import event_subject, feed_after, publish, to_cloud_event
from wijkregistratie.webhooks import callbacks
from wijkregistratie.webhooks.models import Delivery, Subscription

log = logging.getLogger("wijkregistratie.webhooks")

# Seconds to wait after each failed try: about a day in all, then the delivery is dead-lettered.
BACKOFF = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800]
FAN_OUT_BATCH = 500
QUEUE_BATCH = 100  # deliveries tried per subscription and round; at most these go out twice after a crash
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
    await publish(session)
    statement = select(Subscription).where(Subscription.status == "active").with_for_update(skip_locked=True)
    for subscription in (await session.exec(statement)).all():
        principal = await subscription_principal(session, subscription)
        if principal is None:
            continue  # its owner was disabled: nothing is handed on until it is enabled again
        events = (await session.exec(feed_after(principal, subscription.cursor, FAN_OUT_BATCH))).all()
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
        if events:
            subscription.cursor = events[-1].position  # type: ignore[assignment]
            session.add(subscription)
    await session.commit()
    return created


@dataclass
class Outcome:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    lags: list[float] = field(default_factory=list)  # seconds from the event to its receipt
    failures_by_organisation: Counter[str] = field(default_factory=Counter)


async def deliver_due(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient, box: SecretBox, limit: int = 50
) -> Outcome:
    """Try, per subscription this worker could lock, its oldest waiting delivery and the ones after it."""
    outcome = Outcome()
    now = utcnow()
    waiting = (
        select(Delivery.subscription_id)
        .where(Delivery.state == "pending", Delivery.next_attempt_at <= now)
        .distinct()
        .limit(limit)
    )
    subscription_ids = list((await session.exec(waiting)).all())
    await session.commit()
    for subscription_id in subscription_ids:
        locked = select(Subscription).where(Subscription.id == subscription_id, Subscription.status == "active")
        subscription = (await session.exec(locked.with_for_update(skip_locked=True))).first()
        if subscription is not None:
            await _work_queue(session, settings, client, box, subscription, outcome)
        await session.commit()  # releases the subscription for other workers
    return outcome


async def _work_queue(
    session: AsyncSession,
    settings: Settings,
    client: httpx.AsyncClient,
    box: SecretBox,
    subscription: Subscription,
    outcome: Outcome,
) -> None:
    owner = await subscription_principal(session, subscription)
    if owner is None:
        return  # its owner was disabled: what waits stays until it is enabled again
    secret = box.open(subscription.secret_encrypted)
    queue = await session.exec(
        select(Delivery, Event)
        .join(Event, col(Event.sequence) == Delivery.event_sequence)
        .where(Delivery.subscription_id == subscription.id, Delivery.state == "pending")
        .order_by(col(Event.position))
        .limit(QUEUE_BATCH)
    )
    for head, event in queue.all():
        if head.next_attempt_at > utcnow():
            return  # in order: a delivery waiting for its retry holds the ones after it
        if not await _still_visible(session, owner, event):
            # Rights follow the owner: what it may no longer see is not sent, whatever it could see before.
            head.state, head.last_error = "withdrawn", "the subscription's owner may no longer see this event"
            session.add(head)
            continue
        status, error = await _send(client, settings, subscription.url, secret, event)
        head.attempts += 1
        head.last_status, head.last_error = status, error
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
            head.state, head.delivered_at = "delivered", utcnow()
            outcome.delivered += 1
            outcome.lags.append((head.delivered_at - event.time).total_seconds())
        elif status == 410:  # the receiver says this callback is gone for good
            head.state = "dead"
            subscription.status, subscription.disabled_reason = "disabled", "the callback answered 410 Gone"
            session.add(subscription)
            outcome.dead += 1
        elif head.attempts > len(BACKOFF):
            head.state = "dead"
            outcome.dead += 1
        else:
            head.next_attempt_at = retry_at(utcnow(), head.attempts)
            outcome.failed += 1
            outcome.failures_by_organisation[str(subscription.organisation_id)] += 1
        session.add(head)
        if head.state != "delivered":
            return


def retry_at(now: datetime, attempts: int) -> datetime:
    """Exponential backoff with jitter, so receivers coming back up are not hit all at once."""
    delay = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    return now + timedelta(seconds=delay * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not a secret


async def _still_visible(session: AsyncSession, owner: Principal, event: Event) -> bool:
    statement = select(Event.sequence).where(Event.sequence == event.sequence, events_visible_to(owner))
    return (await session.exec(statement)).first() is not None


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
