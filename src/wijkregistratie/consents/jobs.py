"""Consents that expire end what rests on them: once a day, involvements on an expired consent end."""

from wijkregistratie.consents.service import end_lapsed_consents
from wijkregistratie.core.job import Job, JobContext

DAY = 86400.0


async def _end_lapsed(context: JobContext) -> bool:
    async with context.sessions() as session:
        await end_lapsed_consents(session)
        await session.commit()
    return False


def jobs(context: JobContext) -> list[Job]:
    return [Job("consents.expiry", DAY, _end_lapsed)]
