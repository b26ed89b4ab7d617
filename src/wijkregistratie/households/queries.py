from collections.abc import Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.route_facts import Subject, path_ids


async def household_subject(_session: AsyncSession, params: Mapping[str, Any]) -> Subject:
    """For the access log: an address naming a household is about that household."""
    (household_id,) = path_ids(params, "householdId")
    return Subject(household_id=household_id)
