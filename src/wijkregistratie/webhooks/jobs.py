"""The webhook jobs: hand each subscription the events it may see, and deliver what waits, each
subscription in a lane of its own."""

import time
import uuid
from functools import partial

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import func
from sqlmodel import select

from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.job import REGISTRY, Job, JobContext, Lanes
from wijkregistratie.webhooks.delivery import SecretBox, deliver_subscription, due_subscriptions, fan_out
from wijkregistratie.webhooks.models import Delivery

DELIVERY = "webhooks.delivery"
QUEUE_DEPTH_EVERY = 1.0  # seconds between counts of the queue

QUEUE_DEPTH = Gauge("wijkregistratie_worker_queue_depth", "Webhook deliveries waiting to go out.", registry=REGISTRY)
DELIVERY_LAG = Histogram(
    "wijkregistratie_worker_delivery_lag_seconds",
    "From the commit of a change to its receipt by a partner.",
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400),
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "wijkregistratie_worker_deliveries_total", "Webhook delivery attempts by outcome.", ["outcome"], registry=REGISTRY
)
FAILURES = Counter(
    "wijkregistratie_worker_delivery_failures_total",
    "Failed webhook deliveries by partner organisation.",
    ["organisation"],
    registry=REGISTRY,
)
STOPPED = Counter(
    "wijkregistratie_worker_subscriptions_stopped_total",
    "Webhook subscriptions stopped by the worker: `disabled` after 410 Gone, `suspended` after the retry window.",
    ["status"],
    registry=REGISTRY,
)


class _Delivery:
    """The delivery job: start a lane for every due subscription that has none, up to the lanes' width."""

    def __init__(self, context: JobContext) -> None:
        self.context = context
        self.lanes: Lanes[uuid.UUID] = Lanes(context.settings.webhook_concurrency)
        self.box = SecretBox(context.settings)
        self.counted_at = 0.0

    async def run(self, context: JobContext) -> bool:
        async with context.sessions() as session:
            due = []
            if self.lanes.free > 0:
                waiting = due_subscriptions(utcnow(), self.lanes.free, self.lanes.busy)
                due = list((await session.exec(waiting)).all())
            if time.monotonic() - self.counted_at >= QUEUE_DEPTH_EVERY:
                pending = select(func.count()).select_from(Delivery).where(Delivery.state == "pending")
                QUEUE_DEPTH.set(await session.scalar(pending) or 0)
                self.counted_at = time.monotonic()
        for subscription_id in due:
            self.lanes.start(subscription_id, partial(self.deliver, subscription_id), f"{DELIVERY} {subscription_id}")
        return False

    async def deliver(self, subscription_id: uuid.UUID) -> None:
        context = self.context
        try:
            outcome = await deliver_subscription(
                context.sessions, context.settings, context.http, self.box, subscription_id
            )
        finally:
            context.wake(DELIVERY)  # its lane is free: what came for it meanwhile goes out now
        for lag in outcome.lags:
            DELIVERY_LAG.observe(lag)
        DELIVERIES.labels("delivered").inc(outcome.delivered)
        DELIVERIES.labels("failed").inc(outcome.failed)
        DELIVERIES.labels("dead").inc(outcome.dead)
        for organisation, count in outcome.failures_by_organisation.items():
            FAILURES.labels(organisation).inc(count)
        if outcome.stopped:
            STOPPED.labels(outcome.stopped).inc()


def jobs(context: JobContext) -> list[Job]:
    every = context.settings.worker_poll_seconds
    delivery = _Delivery(context)

    async def hand_out(context: JobContext) -> bool:
        async with context.sessions() as session:
            created = await fan_out(session)
        if created:
            context.wake(DELIVERY)
        return created > 0

    return [
        Job("webhooks.fan-out", every, hand_out, follows_changes=True),
        Job(DELIVERY, every, delivery.run, drain=delivery.lanes.drain),
    ]
