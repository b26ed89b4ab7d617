import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from wijkregistratie.core.database import Session
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, IfMatch, versioned
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Reader, Writer
from wijkregistratie.webhooks import service
from wijkregistratie.webhooks.schemas import (
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
)

router = APIRouter(prefix=f"{API_PREFIX}/webhooks", tags=["Webhooks"], route_class=Route)

WebhookId = Annotated[uuid.UUID, Path(alias="webhookId", description="The subscription's id.")]
DeliveryId = Annotated[uuid.UUID, Path(alias="deliveryId", description="The delivery's id.")]


@router.post(
    "",
    status_code=201,
    response_model=SubscriptionCreated,
    summary="Subscribe to events",
    description="Registers a callback for the events the caller's organisation may see (all, or the listed "
    "types), from now on. Each event is POSTed as a CloudEvent, signed per Standard Webhooks "
    "(`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the `whsec_` secret in this answer — shown "
    "only now. Per subscription events go out in feed order; a failed delivery is retried with growing, "
    "jittered pauses for about a day and then dead-lettered; a `410 Gone` switches the subscription off. "
    "Delivery is at least once: de-duplicate on `webhook-id`. Callbacks must be https and must not resolve "
    "to private, loopback or link-local addresses.",
    responses=errors() | CREATED_WITH_ETAG,
)
async def subscribe(
    request: Request, response: Response, session: Session, principal: Writer, body: SubscriptionCreate
) -> SubscriptionCreated:
    created = await service.create(session, principal, body, request.app.state.settings)
    return versioned(response, created, location=f"{API_PREFIX}/webhooks/{created.id}")


@router.get(
    "",
    summary="List your subscriptions",
    description="The webhook subscriptions of the caller's organisation; secrets are never shown again.",
)
async def list_subscriptions(session: Session, principal: Reader) -> list[SubscriptionRead]:
    return await service.list_own(session, principal)


@router.get(
    "/{webhookId}",
    summary="Read a subscription",
    description="One of the caller's organisation's subscriptions; another organisation's answers 404.",
    responses=errors(404) | WITH_ETAG,
)
async def read_subscription(
    response: Response, session: Session, principal: Reader, webhook_id: WebhookId
) -> SubscriptionRead:
    return versioned(response, await service.get(session, principal, webhook_id))


@router.patch(
    "/{webhookId}",
    summary="Change a subscription",
    description="Change the callback, the event types or the description, or switch the subscription off or "
    "on again (`status`). Needs `If-Match`.",
    responses=errors(404, 412, 428) | WITH_ETAG,
)
async def change_subscription(
    request: Request,
    response: Response,
    session: Session,
    principal: Writer,
    webhook_id: WebhookId,
    body: SubscriptionUpdate,
    if_match: IfMatch = None,
) -> SubscriptionRead:
    settings = request.app.state.settings
    return versioned(response, await service.update(session, principal, webhook_id, body, if_match, settings))


@router.get(
    "/{webhookId}/deliveries",
    summary="Read the delivery log",
    description="The latest deliveries of the subscription, newest first: state, tries, the receiver's last "
    "answer and when the next try is due.",
    responses=errors(404),
)
async def list_deliveries(session: Session, principal: Reader, webhook_id: WebhookId) -> list[DeliveryRead]:
    return await service.deliveries(session, principal, webhook_id)


@router.post(
    "/{webhookId}/deliveries/{deliveryId}/redeliveries",
    status_code=202,
    summary="Deliver again",
    description="Queues a delivered or dead-lettered delivery again; it goes out in feed order.",
    responses=errors(404),
)
async def redeliver(
    session: Session, principal: Writer, webhook_id: WebhookId, delivery_id: DeliveryId
) -> DeliveryRead:
    return await service.redeliver(session, principal, webhook_id, delivery_id)
