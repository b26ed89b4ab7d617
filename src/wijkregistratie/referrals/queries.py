from collections.abc import Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.cases.queries import case_subject
from wijkregistratie.core.route_facts import Subject, path_ids
from wijkregistratie.referrals.models import Referral


async def referral_subject(session: AsyncSession, params: Mapping[str, Any]) -> Subject:
    """For the access log: a referral is about its case and that case's household."""
    (referral_id,) = path_ids(params, "referralId")
    referral = await session.get(Referral, referral_id) if referral_id else None
    return await case_subject(session, {"caseId": referral.case_id} if referral else params)
