import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from wijkregistratie.audit import service
from wijkregistratie.audit.schemas import AccessLogEntryRead
from wijkregistratie.core.database import Session
from wijkregistratie.core.openapi import API_PREFIX
from wijkregistratie.core.purpose import Purpose
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import requires

router = APIRouter(prefix=f"{API_PREFIX}/access-log", tags=["Access log"], route_class=route_class(personal=True))
Auditor = Annotated[object, requires("audit:read")]


@router.get(
    "",
    summary="Read the access log",
    description="Who looked at or changed a file, when, why (the stated purpose), from where, and with what "
    "outcome — refusals included — newest first. Name one case, one household, or one person (the log of "
    "their household), e.g. to show a household who looked at its file. Reading the log is logged too. "
    "Needs the `audit:read` scope and the purpose `audit` or `household_request`.",
)
@declare(purposes=(Purpose.audit, Purpose.household_request))
async def read_access_log(
    session: Session,
    _auditor: Auditor,
    case_id: Annotated[uuid.UUID | None, Query(alias="caseId")] = None,
    household_id: Annotated[uuid.UUID | None, Query(alias="householdId")] = None,
    member_id: Annotated[uuid.UUID | None, Query(alias="memberId", description="A person in a household.")] = None,
    before: Annotated[int | None, Query(ge=1, description="Only entries older than this entry id (paging).")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[AccessLogEntryRead]:
    return await service.read_log(session, case_id, household_id, member_id, before, limit)
