"""The worker: delivers webhooks, keeps partner systems in step, rebuilds the figures' totals, removes
access-log entries past their retention, and erases households' files past theirs.

Run it beside the API (`wijkregistratie worker`), as many as you like on PostgreSQL: work is claimed with
row locks that skip rows another worker holds. It stops after the round it is in on SIGTERM or SIGINT, and
serves its own Prometheus metrics.
"""

import asyncio
import contextlib
import logging
import signal
import time

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from sqlalchemy import func
from sqlmodel import select

from wijkregistratie.adapters.base import run_round
from wijkregistratie.adapters.config import load_partners
from wijkregistratie.adapters.rest_json import RestJsonAdapter
from wijkregistratie.core.access_log import purge as purge_access_log
from wijkregistratie.core.database import create_engine, create_sessionmaker
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.settings import Settings
from wijkregistratie.db_models import import_all_models
from wijkregistratie.figures.rollups import refresh as refresh_figures
from wijkregistratie.privacy.erasure import erase_expired
from wijkregistratie.webhooks.delivery import Outcome, SecretBox, deliver_due, fan_out
from wijkregistratie.webhooks.models import Delivery

log = logging.getLogger("wijkregistratie.worker")
PURGE_EVERY_SECONDS = 86400

# The worker's own registry: its metrics are served by the worker, not mixed into an API process's.
REGISTRY = CollectorRegistry()
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
ADAPTER_CHANGES = Counter(
    "wijkregistratie_worker_adapter_changes_total",
    "Changes pulled from, rejected from and pushed to partner systems.",
    ["partner", "direction"],
    registry=REGISTRY,
)
FAILURES = Counter(
    "wijkregistratie_worker_delivery_failures_total",
    "Failed webhook deliveries by partner organisation.",
    ["organisation"],
    registry=REGISTRY,
)


ERASED = Counter(
    "wijkregistratie_worker_erased_households_total",
    "Households whose file was erased after the retention period.",
    registry=REGISTRY,
)


class Worker:
    def __init__(self, settings: Settings) -> None:
        import_all_models()
        self.settings = settings
        self.engine = create_engine(settings.database_url)
        self.sessions = create_sessionmaker(self.engine)
        self.box = SecretBox(settings)
        self.client = httpx.AsyncClient(follow_redirects=False)
        self.figures_due = time.monotonic() + settings.worker_figures_every_seconds
        self.purge_due = 0.0
        vault = BsnVault(settings)
        self.adapters = [
            RestJsonAdapter(partner, mapping, vault, self.client)
            for partner, mapping in load_partners(settings.adapters_file)
        ]
        self.adapters_due = {a.partner.name: 0.0 for a in self.adapters}

    async def tick(self) -> Outcome:
        """One round of work; returns what it delivered."""
        async with self.sessions() as session:
            await fan_out(session)
        async with self.sessions() as session:
            outcome = await deliver_due(session, self.settings, self.client, self.box)
        async with self.sessions() as session:
            depth = await session.scalar(select(func.count()).select_from(Delivery).where(Delivery.state == "pending"))
        QUEUE_DEPTH.set(depth or 0)
        for lag in outcome.lags:
            DELIVERY_LAG.observe(lag)
        DELIVERIES.labels("delivered").inc(outcome.delivered)
        DELIVERIES.labels("failed").inc(outcome.failed)
        DELIVERIES.labels("dead").inc(outcome.dead)
        for organisation, count in outcome.failures_by_organisation.items():
            FAILURES.labels(organisation).inc(count)
        for adapter in self.adapters:
            if time.monotonic() >= self.adapters_due[adapter.partner.name]:
                result = await run_round(self.sessions, adapter)
                ADAPTER_CHANGES.labels(adapter.partner.name, "pulled").inc(result.pulled)
                ADAPTER_CHANGES.labels(adapter.partner.name, "rejected").inc(result.rejected)
                ADAPTER_CHANGES.labels(adapter.partner.name, "pushed").inc(result.pushed)
                self.adapters_due[adapter.partner.name] = time.monotonic() + adapter.partner.every_seconds
        if time.monotonic() >= self.purge_due:
            async with self.sessions() as session:
                await purge_access_log(session, self.settings.access_log_retention_days)
                await session.commit()
            async with self.sessions() as session:
                erased = await erase_expired(session, self.settings)
                await session.commit()
            ERASED.inc(len(erased))
            self.purge_due = time.monotonic() + PURGE_EVERY_SECONDS
        if self.settings.worker_figures_every_seconds and time.monotonic() >= self.figures_due:
            async with self.sessions() as session:
                await refresh_figures(session)
                await session.commit()
            self.figures_due = time.monotonic() + self.settings.worker_figures_every_seconds
        return outcome

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started")
        try:
            while not stop.is_set():
                try:
                    outcome = await self.tick()
                except Exception as exc:  # a bad round must not end the worker; the next one retries
                    log.error("worker round failed: %s", type(exc).__name__)
                    outcome = Outcome()
                if not outcome.delivered:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self.settings.worker_poll_seconds)
        finally:
            await self.close()
            log.info("worker stopped")

    async def close(self) -> None:
        await self.client.aclose()
        await self.engine.dispose()


def run_worker(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, addr="127.0.0.1", registry=REGISTRY)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await Worker(settings).run(stop)

    asyncio.run(main())
