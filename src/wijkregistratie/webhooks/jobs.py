"""The webhook jobs: hand each subscription the events it may see, and deliver what waits."""

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import func
from sqlmodel import select

from wijkregistratie.core.job import REGISTRY, Job, JobContext
from wijkregistratie.webhooks.delivery import SecretBox, deliver_due, fan_out
from wijkregistratie.webhooks.models import Delivery

QUEUE_DEPTH = Gauge("wijkregistratie_worker_queue_depth", "Webhook deliveries waiting to go out.", registry=REGISTRY)
DELIVERY_LAG = Histogram(
    "wijkregistratie_worker_delivery_lag_seconds",
    "From the commit of a change to its receipt by a partner.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400),
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


async def _fan_out(context: JobContext) -> bool:
    async with context.sessions() as session:
        return await fan_out(session) > 0


async def _deliver(context: JobContext) -> bool:
    async with context.sessions() as session:
        outcome = await deliver_due(session, context.settings, context.http, SecretBox(context.settings))
    async with context.sessions() as session:
        depth = await session.scalar(select(func.count()).select_from(Delivery).where(Delivery.state == "pending"))
    QUEUE_DEPTH.set(depth or 0)
    for lag in outcome.lags:
        DELIVERY_LAG.observe(lag)
    DELIVERIES.labels("delivered").inc(outcome.delivered)
    DELIVERIES.labels("failed").inc(outcome.failed)
    DELIVERIES.labels("dead").inc(outcome.dead)
    for organisation, count in outcome.failures_by_organisation.items():
        FAILURES.labels(organisation).inc(count)
    return outcome.delivered > 0


def jobs(context: JobContext) -> list[Job]:
    every = context.settings.worker_poll_seconds
    return [Job("webhooks.fan-out", every, _fan_out), Job("webhooks.delivery", every, _deliver)]
