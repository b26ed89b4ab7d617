"""Erasure after the retention period, a legal duty: once a day, whatever else the worker is doing."""

from prometheus_client import Counter

from wijkregistratie.core.job import REGISTRY, Job, JobContext
from wijkregistratie.privacy.erasure import erase_expired

DAY = 86400.0
ERASED = Counter(
    "wijkregistratie_worker_erased_households_total",
    "Households whose file was erased after the retention period.",
    registry=REGISTRY,
)


async def _erase_expired(context: JobContext) -> bool:
    async with context.sessions() as session:
        erased = await erase_expired(session, context.settings)
        await session.commit()
    ERASED.inc(len(erased))
    return False


def jobs(context: JobContext) -> list[Job]:
    return [Job("privacy.retention", DAY, _erase_expired)]
