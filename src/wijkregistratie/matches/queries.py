from collections.abc import Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.route_facts import Subject, path_ids
from wijkregistratie.matches.models import Match


async def match_subject(session: AsyncSession, params: Mapping[str, Any]) -> Subject:
    """For the access log: a match is about a household and its case."""
    (match_id,) = path_ids(params, "matchId")
    match = await session.get(Match, match_id) if match_id else None
    return Subject(case_id=match.case_id, household_id=match.household_id) if match else Subject()
