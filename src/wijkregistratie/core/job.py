"""The worker's contract with the parts of the record: a job is a name, a pace and something to run.

Each part that has background work says so in its own `jobs.py` with a `jobs(context)` function; the
worker finds those modules, and runs every job in a loop of its own, with its own session, its own error
handling and its own metrics, so that one failing or slow job never holds up another.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.settings import Settings

log = logging.getLogger("wijkregistratie.worker")
K = TypeVar("K", bound=Hashable)

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
    # Start the named job's next run now, instead of after its pause (set by the worker).
    wake: Callable[[str], None] = field(default=lambda _name: None)


@dataclass(frozen=True)
class Job:
    name: str
    # Seconds between the end of one run and the start of the next; after a run that reports more work
    # waiting (it returns True), the next starts at once.
    every: float
    run: Callable[[JobContext], Awaitable[bool]]
    # Seconds after the worker starts before the first run (the figures need not be rebuilt at every start).
    first_after: float = 0.0
    # Whether a commit that writes events starts its next run at once (it follows the change feed).
    follows_changes: bool = False
    # Waits for what its runs started in the background (`Lanes`): after a single round, and at shutdown.
    drain: Callable[[], Awaitable[None]] | None = None


class Lanes(Generic[K]):
    """Background tasks, one per key and at most `width` at once: a slow one holds its own lane only.

    A job's run starts a task for each key that has work (a webhook subscription, say) and returns at once;
    the next run starts the keys that became free or got work meanwhile."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._running: dict[K, asyncio.Task[None]] = {}

    @property
    def busy(self) -> set[K]:
        return set(self._running)

    @property
    def free(self) -> int:
        return self.width - len(self._running)

    def start(self, key: K, work: Callable[[], Awaitable[None]], name: str) -> None:
        async def run() -> None:
            try:
                await work()
            except Exception as exc:  # one lane's failure is logged; the others go on
                log.error("%s failed: %s", name, type(exc).__name__)
            finally:
                self._running.pop(key, None)

        self._running[key] = asyncio.create_task(run(), name=name)

    async def drain(self) -> None:
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
