"""The worker's contract with the parts of the record: a job is a name, a pace and something to run.

Each part that has background work says so in its own `jobs.py` with a `jobs(context)` function; the
worker finds those modules, and runs every job in a loop of its own, with its own session, its own error
handling and its own metrics, so that one failing or slow job never holds up another.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.settings import Settings

# The worker's own registry: its metrics are served by the worker, not mixed into an API process's.
REGISTRY = CollectorRegistry()
JOB_RUNS = Counter(
    "wijkregistratie_worker_job_runs_total",
    "Runs of each worker job by outcome.",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_LAST_SUCCESS = Gauge(
    "wijkregistratie_worker_job_last_success_timestamp_seconds",
    "When each worker job last ran to the end without an error (Unix time).",
    ["job"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "wijkregistratie_worker_job_duration_seconds",
    "How long each run of a worker job took.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800),
    registry=REGISTRY,
)


@dataclass
class JobContext:
    """What every job may use; each run opens its own sessions from `sessions`."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    vault: BsnVault


@dataclass(frozen=True)
class Job:
    name: str
    # Seconds between the end of one run and the start of the next; after a run that reports more work
    # waiting (it returns True), the next starts at once.
    every: float
    run: Callable[[JobContext], Awaitable[bool]]
    # Seconds after the worker starts before the first run (the figures need not be rebuilt at every start).
    first_after: float = 0.0
