"""The access log's retention: entries past it are removed once a day (never younger than five years)."""

from wijkregistratie.core.access_log import purge
from wijkregistratie.core.job import Job, JobContext

DAY = 86400.0


async def _purge(context: JobContext) -> bool:
    async with context.sessions() as session:
        await purge(session, context.settings.access_log_retention_days)
        await session.commit()
    return False


def jobs(context: JobContext) -> list[Job]:
    return [Job("access-log.purge", DAY, _purge)]
