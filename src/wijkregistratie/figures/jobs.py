"""The figures' running totals, rebuilt at the pace `WR_WORKER_FIGURES_EVERY_SECONDS` sets (0: never)."""

from wijkregistratie.core.job import Job, JobContext
from wijkregistratie.figures.rollups import refresh


async def _rebuild(context: JobContext) -> bool:
    async with context.sessions() as session:
        await refresh(session)
        await session.commit()
    return False


def jobs(context: JobContext) -> list[Job]:
    every = context.settings.worker_figures_every_seconds
    return [Job("figures.rebuild", every, _rebuild, first_after=every)] if every else []
