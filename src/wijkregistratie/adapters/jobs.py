"""One job per partner system: pull what changed there, push what changed here, at the partner's pace.

A partner that fails is tried again later and later (its own pace, doubled after each failed round, up to
`MOST_BACKOFF_SECONDS`), so a partner that is down for hours is not asked every few seconds; the first
round that gets through restores its pace."""

import time

from prometheus_client import Counter, Gauge

from wijkregistratie.adapters.base import Adapter, run_round
from wijkregistratie.adapters.kinds import build, partners
from wijkregistratie.core.job import REGISTRY, Job, JobContext

MOST_BACKOFF_SECONDS = 300.0

ADAPTER_CHANGES = Counter(
    "wijkregistratie_worker_adapter_changes_total",
    "Changes pulled from, rejected from and pushed to partner systems.",
    ["partner", "direction"],
    registry=REGISTRY,
)
ADAPTER_FAILURES = Counter(
    "wijkregistratie_worker_adapter_failures_total",
    "Rounds that ended because the partner system could not be used, by cause (the worker's log says why).",
    ["partner", "cause"],
    registry=REGISTRY,
)
ADAPTER_FAILING = Gauge(
    "wijkregistratie_worker_adapter_failing_rounds",
    "Rounds in a row that failed for each partner system: 0 while it is in step.",
    ["partner"],
    registry=REGISTRY,
)


def _job(adapter: Adapter) -> Job:
    name = adapter.partner.name
    failed_rounds, next_round_at = 0, 0.0

    async def keep_in_step(context: JobContext) -> bool:
        nonlocal failed_rounds, next_round_at
        if time.monotonic() < next_round_at:
            return False
        result = await run_round(context.sessions, adapter)
        ADAPTER_CHANGES.labels(name, "pulled").inc(result.pulled)
        ADAPTER_CHANGES.labels(name, "rejected").inc(result.rejected)
        ADAPTER_CHANGES.labels(name, "pushed").inc(result.pushed)
        if result.failure is None:
            failed_rounds, next_round_at = 0, 0.0
        else:
            ADAPTER_FAILURES.labels(name, result.failure.cause).inc()
            failed_rounds += 1
            pause = min(adapter.partner.every_seconds * 2 ** min(failed_rounds, 16), MOST_BACKOFF_SECONDS)
            next_round_at = time.monotonic() + pause
        ADAPTER_FAILING.labels(name).set(failed_rounds)
        return False

    return Job(f"adapters.{name}", adapter.partner.every_seconds, keep_in_step)


def jobs(context: JobContext) -> list[Job]:
    configured = partners(context.settings.adapters_file)
    return [_job(build(partner, mapping, context.vault, context.http)) for partner, mapping in configured]
