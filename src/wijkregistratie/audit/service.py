"""Reading the access log: per case, per household, or per person (through their household)."""

import uuid

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.audit.schemas import AccessLogEntryRead
from wijkregistratie.cases.models import Case
from wijkregistratie.core.errors import InvalidInput
from wijkregistratie.core.models import AccessLogEntry
from wijkregistratie.households.models import Member
from wijkregistratie.organisations.models import Organisation


async def read_log(
    session: AsyncSession,
    case_id: uuid.UUID | None,
    household_id: uuid.UUID | None,
    member_id: uuid.UUID | None,
    before: int | None,
    limit: int,
) -> list[AccessLogEntryRead]:
    if sum(x is not None for x in (case_id, household_id, member_id)) != 1:
        raise InvalidInput.field("caseId", "name exactly one of caseId, householdId and memberId")
    if member_id is not None:
        member = await session.get(Member, member_id)
        if member is None:
            raise InvalidInput.field("memberId", "unknown person")
        household_id = member.household_id
    statement = select(AccessLogEntry, Organisation.name).outerjoin(
        Organisation, col(Organisation.id) == AccessLogEntry.organisation_id
    )
    if case_id is not None:
        statement = statement.where(AccessLogEntry.case_id == case_id)
    else:  # the household's own entries, and those of its cases that name the case only
        cases = select(Case.id).where(Case.household_id == household_id)
        statement = statement.where(
            or_(col(AccessLogEntry.household_id) == household_id, col(AccessLogEntry.case_id).in_(cases))
        )
    if before is not None:
        statement = statement.where(col(AccessLogEntry.id) < before)
    rows = (await session.exec(statement.order_by(col(AccessLogEntry.id).desc()).limit(limit))).all()
    return [AccessLogEntryRead.model_validate(entry.model_dump() | {"organisation_name": name}) for entry, name in rows]
