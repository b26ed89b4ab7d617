"""The whole record in one read: the case with, on request, its journal, assessments, referrals,
attachments and matches — each through its own service, so need-to-know and the access log apply as when
the part is read on its own."""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.assessments.service import list_assessments
from wijkregistratie.attachments.service import list_attachments
from wijkregistratie.cases.schemas import (
    EXPANDABLE,
    CaseRecord,
    Expanded,
    ExpandedAssessments,
    ExpandedAttachments,
    ExpandedJournal,
    ExpandedMatches,
    ExpandedReferrals,
)
from wijkregistratie.cases.service import get_case_record
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.openapi import API_PREFIX
from wijkregistratie.core.security import Principal
from wijkregistratie.journal.service import list_entries
from wijkregistratie.matches.service import list_matches
from wijkregistratie.referrals.service import list_case_referrals

Reader = Callable[[AsyncSession, Principal, CaseRecord], Awaitable[Sequence[Any]]]
MATCHES_AT_MOST = 1000


async def _matches(session: AsyncSession, principal: Principal, record: CaseRecord) -> Sequence[Any]:
    items, _ = await list_matches(session, principal, None, record.household_id, None, MATCHES_AT_MOST)
    return items


# Each part: how it is read, its shape, and where its own list is.
PARTS: dict[str, tuple[Reader, type[Expanded[Any]], str]] = {
    "journal": (lambda s, p, r: list_entries(s, p, r.id), ExpandedJournal, "/cases/{id}/journal"),
    "assessments": (lambda s, p, r: list_assessments(s, p, r.id), ExpandedAssessments, "/cases/{id}/assessments"),
    "referrals": (lambda s, p, r: list_case_referrals(s, p, r.id), ExpandedReferrals, "/cases/{id}/referrals"),
    "attachments": (lambda s, p, r: list_attachments(s, p, r.id), ExpandedAttachments, "/cases/{id}/attachments"),
    "matches": (_matches, ExpandedMatches, "/matches?householdId={household_id}"),
}


def expand_parts(expand: str | None) -> list[str]:
    """The parts named in `expand` (comma-separated, validated by the route), in the record's own order."""
    named = set(expand.split(",")) if expand else set()
    return [part for part in EXPANDABLE if part in named]


async def read_record(
    session: AsyncSession,
    vault: BsnVault,
    principal: Principal,
    case_id: uuid.UUID,
    parts: list[str],
    expand_limit: int,
) -> CaseRecord:
    record = await get_case_record(session, vault, principal, case_id)
    expanded: dict[str, Expanded[Any]] = {}
    for part in parts:
        read, shape, href = PARTS[part]
        items = list(await read(session, principal, record))
        expanded[part] = shape(
            items=items[-expand_limit:],
            total=len(items),
            href=API_PREFIX + href.format(id=record.id, household_id=record.household_id),
        )
    return record.model_copy(update=expanded)
