"""The worker: runs the jobs every part of the record registers in its `jobs.py` — webhook fan-out and
delivery, partner adapters, the figures' rebuild, the access log's and the files' retention.

Run it beside the API (`wijkregistratie worker`), as many as you like on PostgreSQL: work is claimed with
leases, advisory locks and row locks that skip what another worker holds. Every job runs in a loop of its
own: one that fails is logged, counted and tried again at its next turn, while the others go on. The
worker stops after the runs it is in on SIGTERM or SIGINT, and serves its own Prometheus metrics.

Jobs that follow the change feed do not wait for their next poll: on PostgreSQL the worker listens on the
channel every commit that writes events announces itself on (`LISTEN`), and starts them at once. Polling
stays as the fallback — for a notification lost while the listening connection was down, behind a pooler
in transaction mode (which cannot keep a `LISTEN`), and on SQLite.
"""

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Iterable
from typing import Any

import httpx
from prometheus_client import start_http_server

from wijkregistratie.core.database import CHANGES_CHANNEL, create_sessionmaker, engine_of
from wijkregistratie.core.discovery import import_all_models, modules_named
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.job import (
    JOB_DURATION,
    JOB_LAST_SUCCESS,
    JOB_RUNS,
    REGISTRY,
    Job,
    JobContext,
)
from wijkregistratie.core.settings import Settings

log = logging.getLogger("wijkregistratie.worker")
LISTEN_RETRY_SECONDS = 5.0


def registered_jobs(context: JobContext) -> list[Job]:
    """The jobs of every part that has a `jobs` module, in a stable order."""
    return [job for module in modules_named("jobs") for job in module.jobs(context)]


class Worker:
    def __init__(self, settings: Settings) -> None:
        import_all_models()
        self.engine = engine_of(settings)
        self.context = JobContext(
            settings=settings,
            sessions=create_sessionmaker(self.engine),
            http=httpx.AsyncClient(follow_redirects=False),
            vault=BsnVault(settings),
        )
        self.context.wake = self.wake
        self.jobs = registered_jobs(self.context)
        self._wakes = {job.name: asyncio.Event() for job in self.jobs}

    def wake(self, name: str) -> None:
        if name in self._wakes:
            self._wakes[name].set()

    def _changed(self, *_args: object) -> None:
        for job in self.jobs:
            if job.follows_changes:
                self._wakes[job.name].set()

    async def run_job(self, job: Job) -> bool:
        """One run of one job, isolated: its failure is logged and counted, never raised."""
        started = time.perf_counter()
        try:
            more = await job.run(self.context)
        except Exception as exc:
            log.error("job %s failed: %s", job.name, type(exc).__name__)
            JOB_RUNS.labels(job.name, "failed").inc()
            return False
        finally:
            JOB_DURATION.labels(job.name).observe(time.perf_counter() - started)
        JOB_RUNS.labels(job.name, "succeeded").inc()
        JOB_LAST_SUCCESS.labels(job.name).set(time.time())
        return more

    async def run_once(self, names: Iterable[str] | None = None) -> None:
        """Every job (or the named ones) once, one after another: for tests and for an operator's single round."""
        wanted = set(names) if names is not None else None
        for job in self.jobs:
            if wanted is None or job.name in wanted:
                await self.run_job(job)
                if job.drain is not None:
                    await job.drain()

    async def _loop(self, job: Job, stop: asyncio.Event) -> None:
        woken = self._wakes[job.name]
        pause = job.first_after
        while not stop.is_set():
            if pause:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), timeout=pause)
                if stop.is_set():
                    return
            woken.clear()  # a wake from here on asks for one more run
            pause = 0.0 if await self.run_job(job) else job.every

    async def _listen(self, stop: asyncio.Event) -> None:
        """Wake the jobs that follow the change feed at every announced commit, on a connection of its own;
        when it drops, listen again after a pause, and run those jobs once for what was missed."""
        if self.engine.dialect.name != "postgresql" or self.context.settings.database_transaction_pooling:
            return
        while not stop.is_set():
            try:
                async with self.engine.connect() as connection:
                    raw: Any = (await connection.get_raw_connection()).driver_connection
                    await raw.add_listener(CHANGES_CHANNEL, self._changed)
                    try:
                        self._changed()
                        while not stop.is_set() and not raw.is_closed():
                            with contextlib.suppress(TimeoutError):
                                await asyncio.wait_for(stop.wait(), timeout=LISTEN_RETRY_SECONDS)
                    finally:
                        if not raw.is_closed():
                            await raw.remove_listener(CHANGES_CHANNEL, self._changed)
            except Exception as exc:
                log.warning("not listening for changes (polling meanwhile): %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=LISTEN_RETRY_SECONDS)

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started with %d jobs", len(self.jobs))
        stopping = asyncio.create_task(self._stop_all_on(stop))
        try:
            await asyncio.gather(self._listen(stop), *(self._loop(job, stop) for job in self.jobs))
        finally:
            stopping.cancel()
            await self.close()
            log.info("worker stopped")

    async def _stop_all_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        for woken in self._wakes.values():
            woken.set()

    async def close(self) -> None:
        for job in self.jobs:
            if job.drain is not None:
                await job.drain()
        await self.context.http.aclose()
        await self.engine.dispose()


def run_worker(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # httpx logs every request with its URL, which may carry a partner's token, and at a line per event
    # costs a busy worker more than the delivery itself; failures are logged and counted by the jobs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, addr="127.0.0.1", registry=REGISTRY)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await Worker(settings).run(stop)

    asyncio.run(main())
