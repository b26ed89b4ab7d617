"""The worker: runs the jobs every part of the record registers in its `jobs.py` — webhook fan-out and
delivery, partner adapters, the figures' rebuild, the access log's and the files' retention.

Run it beside the API (`wijkregistratie worker`), as many as you like on PostgreSQL: work is claimed with
row locks that skip rows another worker holds. Every job runs in a loop of its own: one that fails is
logged, counted and tried again at its next turn, while the others go on. The worker stops after the
runs it is in on SIGTERM or SIGINT, and serves its own Prometheus metrics.
"""

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Iterable

import httpx
from prometheus_client import start_http_server

from wijkregistratie.core.database import create_sessionmaker, engine_of
from wijkregistratie.core.discovery import import_all_models, modules_named
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.job import JOB_DURATION, JOB_LAST_SUCCESS, JOB_RUNS, REGISTRY, Job, JobContext
from wijkregistratie.core.settings import Settings

log = logging.getLogger("wijkregistratie.worker")


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
        self.jobs = registered_jobs(self.context)

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

    async def _loop(self, job: Job, stop: asyncio.Event) -> None:
        pause = job.first_after
        while not stop.is_set():
            if pause:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=pause)
                if stop.is_set():
                    return
            pause = 0.0 if await self.run_job(job) else job.every

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started with %d jobs", len(self.jobs))
        try:
            await asyncio.gather(*(self._loop(job, stop) for job in self.jobs))
        finally:
            await self.close()
            log.info("worker stopped")

    async def close(self) -> None:
        await self.context.http.aclose()
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
