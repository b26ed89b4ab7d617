"""Subscriptions are an organisation's own: another organisation's subscription answers 404."""

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.visibility import subscriptions_visible_to, visible_subscription
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.errors import Conflict, InvalidInput, NotFound
from wijkregistratie.core.etag import check_if_match
from wijkregistratie.core.security import Principal
from wijkregistratie.core.settings import Settings
from wijkregistratie.events.service import feed_end
from wijkregistratie.webhooks import callbacks
from wijkregistratie.webhooks.delivery import SecretBox, new_secret
from wijkregistratie.webhooks.models import Delivery, Subscription
from wijkregistratie.webhooks.schemas import (
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
)

DELIVERY_LOG_SIZE = 100


async def _checked_url(url: str, settings: Settings) -> str:
    try:
        await callbacks.resolve(url, settings)
    except callbacks.CallbackRefused as refusal:
        raise InvalidInput.field("url", refusal.reason) from refusal
    return url


async def create(
    session: AsyncSession, principal: Principal, data: SubscriptionCreate, settings: Settings
) -> SubscriptionCreated:
    secret = new_secret()
    subscription = Subscription(
        organisation_id=principal.organisation_id,
        client_id=principal.client_id,  # its reach is its owner's, as it stands at each delivery
        url=await _checked_url(data.url, settings),
        event_types=[t.value for t in data.event_types],
        description=data.description,
        secret_encrypted=SecretBox(settings).seal(secret),
        cursor=await feed_end(session),  # from now on; the feed holds what came before
    )
    session.add(subscription)
    await session.flush()
    return SubscriptionCreated.model_validate(subscription.model_dump() | {"secret": secret})


async def get(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> SubscriptionRead:
    return SubscriptionRead.model_validate(await visible_subscription(session, principal, subscription_id))


async def list_own(session: AsyncSession, principal: Principal) -> list[SubscriptionRead]:
    statement = select(Subscription).where(subscriptions_visible_to(principal)).order_by(col(Subscription.created_at))
    return [SubscriptionRead.model_validate(s) for s in (await session.exec(statement)).all()]


async def update(
    session: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    data: SubscriptionUpdate,
    if_match: str | None,
    settings: Settings,
) -> SubscriptionRead:
    subscription = await visible_subscription(session, principal, subscription_id)
    check_if_match(if_match, subscription.version)
    changes = data.model_dump(exclude_unset=True)
    if "url" in changes:
        if changes["url"] is None:
            raise InvalidInput.field("url", "a subscription always has a callback")
        subscription.url = await _checked_url(changes["url"], settings)
    if "event_types" in changes:
        subscription.event_types = [t.value for t in data.event_types or []]
    if "description" in changes:
        subscription.description = data.description
    if changes.get("status"):
        subscription.status = changes["status"]
        subscription.disabled_reason = None if subscription.status == "active" else "switched off by the owner"
        subscription.failures, subscription.retry_at = 0, None  # switched on again: tried at once
    subscription.version += 1
    session.add(subscription)
    await session.flush()
    return SubscriptionRead.model_validate(subscription)


async def deliveries(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> list[DeliveryRead]:
    subscription = await visible_subscription(session, principal, subscription_id)
    statement = (
        select(Delivery)
        .where(Delivery.subscription_id == subscription.id)
        .order_by(col(Delivery.event_sequence).desc())
        .limit(DELIVERY_LOG_SIZE)
    )
    return [DeliveryRead.model_validate(d) for d in (await session.exec(statement)).all()]


async def redeliver(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryRead:
    """Queue a delivery again (a dead-lettered one, or one the receiver lost); it goes out in feed order."""
    subscription = await visible_subscription(session, principal, subscription_id)
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription.id:
        raise NotFound("No delivery with this id exists for this subscription.")
    if delivery.state == "pending":
        raise Conflict("This delivery is already waiting to go out.")
    delivery.state, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    delivery.last_error = None
    session.add(delivery)
    await session.flush()
    return DeliveryRead.model_validate(delivery)
