import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from wijkregistratie.cases import service
from wijkregistratie.cases.history import case_history
from wijkregistratie.cases.queries import case_subject
from wijkregistratie.cases.record import expand_parts, read_record
from wijkregistratie.cases.schemas import (
    EXPAND_PATTERN,
    EXPANDABLE,
    CaseClose,
    CaseOpen,
    CasePage,
    CaseRecord,
    CaseSummary,
    HistoryPage,
    InvolvementCreate,
    InvolvementRead,
    InvolvementUpdate,
    LeadAssign,
    LeadPeriod,
)
from wijkregistratie.core.codes import CaseStatus
from wijkregistratie.core.database import Session, StaleSession
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, IfMatch, versioned
from wijkregistratie.core.identifiers import Vault
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.paths import CaseId
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Reader, Writer

router = APIRouter(
    prefix=f"{API_PREFIX}/cases", tags=["Cases"], route_class=route_class(personal=True, subject=case_subject)
)
InvolvementId = Annotated[uuid.UUID, Path(alias="involvementId", description="The involvement's id.")]


@router.post(
    "",
    status_code=201,
    summary="Open a case",
    description="Opens the shared case for a household the caller may see, taking up the given signals. The "
    "caller's organisation becomes involved on the basis it names. A household has at most one open case: a "
    "second answers 409; a household or signal the caller may not see answers 404.",
    responses=errors(404, 409) | CREATED_WITH_ETAG,
)
async def open_case(session: Session, principal: Writer, body: CaseOpen, response: Response) -> CaseSummary:
    case = await service.open_case(session, principal, body)
    return versioned(response, case, location=f"{API_PREFIX}/cases/{case.id}")


@router.get(
    "",
    summary="List cases you may see",
    description="The cases the caller's organisation is involved in and, for a coordinator, the team's, oldest "
    "first. `reference` finds a case by the caller's own reference for the household: the identity map "
    "between the caller's system and the shared record.",
)
async def list_cases(
    session: StaleSession,
    principal: Reader,
    reference: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="The caller's own reference for the household."),
    ] = None,
    status: Annotated[CaseStatus | None, Query(description="Only cases with this status.")] = None,
    team_id: Annotated[uuid.UUID | None, Query(alias="teamId")] = None,
    household_id: Annotated[uuid.UUID | None, Query(alias="householdId")] = None,
    lead_professional_id: Annotated[
        uuid.UUID | None, Query(alias="leadProfessionalId", description="Only cases this professional leads now.")
    ] = None,
    lead_left: Annotated[
        bool | None,
        Query(
            alias="leadLeft",
            description="`true`: only cases whose lead professional has left and must be handed over; "
            "`false`: only the others.",
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> CasePage:
    items, next_cursor = await service.list_cases(
        session, principal, reference, status, team_id, household_id, lead_professional_id, lead_left, cursor, limit
    )
    return CasePage(items=items, next_cursor=next_cursor)


@router.get(
    "/{caseId}",
    summary="Read the whole case record",
    description="Everything the team shares about the household in one read: household and members, team, "
    "lead professional and who led before, involved organisations, the current plan and the signals taken up. "
    "`expand` (comma-separated) adds the journal, assessments, referrals, attachments (metadata) and matches: "
    "of each the most recent `expandLimit` items the caller may see, how many there are in all, and the "
    "part's own list for the rest.",
    responses=errors(404) | WITH_ETAG,
)
async def get_case(
    session: Session,
    vault: Vault,
    principal: Reader,
    case_id: CaseId,
    response: Response,
    expand: Annotated[
        str | None,
        Query(
            pattern=EXPAND_PATTERN,
            max_length=200,
            description=f"Parts to read with the record, comma-separated: {', '.join(EXPANDABLE)}.",
            examples=["journal,referrals,matches"],
        ),
    ] = None,
    expand_limit: Annotated[
        int, Query(alias="expandLimit", ge=1, le=100, description="At most this many items of each part.")
    ] = 20,
) -> CaseRecord:
    record = await read_record(session, vault, principal, case_id, expand_parts(expand), expand_limit)
    return versioned(response, record)


@router.get(
    "/{caseId}/history",
    summary="Read the case's history",
    description="The case's timeline from its events, oldest first: signals taken up, the case opened, "
    "organisations involved, leads, plan versions, journal entries, assessments, referrals, consents, "
    "closure — each with when, which organisation and which professional. An entry is shown only where its "
    "event was addressed to the caller's organisation (or the caller coordinates the team).",
    responses=errors(404),
)
async def get_history(
    session: Session, principal: Reader, case_id: CaseId, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE_SIZE
) -> HistoryPage:
    items, next_cursor = await case_history(session, principal, case_id, cursor, limit)
    return HistoryPage(items=items, next_cursor=next_cursor)


@router.post(
    "/{caseId}/close",
    summary="Close a case",
    description="Closes the case with a reason and an optional learning note. Only the coordinator of the team "
    "or the lead organisation may close; `If-Match` must name the case's current version.",
    responses=errors(403, 404, 409, 412, 428) | WITH_ETAG,
)
async def close_case(
    session: Session,
    principal: Writer,
    case_id: CaseId,
    body: CaseClose,
    response: Response,
    if_match: IfMatch = None,
) -> CaseSummary:
    return versioned(response, await service.close_case(session, principal, case_id, body, if_match))


@router.get(
    "/{caseId}/lead-professional",
    summary="Read the lead professional",
    description="The professional who leads the case, with how to reach them. The ETag is the case's version.",
    responses=errors(404) | WITH_ETAG,
)
async def get_lead_professional(session: Session, principal: Reader, case_id: CaseId, response: Response) -> LeadPeriod:
    period, version = await service.get_lead(session, principal, case_id)
    return versioned(response, period, version=version)


@router.put(
    "/{caseId}/lead-professional",
    summary="Assign or hand over the lead professional",
    description="Makes a professional of the case's team its one lead; a previous lead is ended and kept in the "
    "history. The lead's organisation takes the `lead` role. Allowed to the team's coordinator, to the lead "
    "organisation (handover), and to involved organisations while there is no lead yet.",
    responses=errors(403, 404, 409, 412, 428) | WITH_ETAG,
)
async def assign_lead_professional(
    session: Session,
    principal: Writer,
    case_id: CaseId,
    body: LeadAssign,
    response: Response,
    if_match: IfMatch = None,
) -> LeadPeriod:
    period, version = await service.assign_lead(session, principal, case_id, body, if_match)
    return versioned(response, period, version=version)


@router.get(
    "/{caseId}/involvements",
    summary="List the organisations involved",
    description="Every organisation involved in the case, past and present, with role and lawful basis.",
    responses=errors(404),
)
async def list_involvements(session: Session, principal: Reader, case_id: CaseId) -> list[InvolvementRead]:
    return await service.list_involvements(session, principal, case_id)


@router.post(
    "/{caseId}/involvements",
    status_code=201,
    summary="Involve an organisation",
    description="Adds an organisation to the case with its role and lawful basis. The `lead` role is not given "
    "here: it follows the lead professional.",
    responses=errors(404, 409) | CREATED_WITH_ETAG,
)
async def add_involvement(
    session: Session, principal: Writer, case_id: CaseId, body: InvolvementCreate, response: Response
) -> InvolvementRead:
    involvement = await service.add_involvement(session, principal, case_id, body)
    return versioned(response, involvement, location=f"{API_PREFIX}/cases/{case_id}/involvements/{involvement.id}")


@router.get(
    "/{caseId}/involvements/{involvementId}",
    summary="Read an involvement",
    description="One organisation's involvement in the case, with the version to change it by.",
    responses=errors(404) | WITH_ETAG,
)
async def get_involvement(
    session: Session, principal: Reader, case_id: CaseId, involvement_id: InvolvementId, response: Response
) -> InvolvementRead:
    return versioned(response, await service.get_involvement(session, principal, case_id, involvement_id))


@router.patch(
    "/{caseId}/involvements/{involvementId}",
    summary="Change an involvement",
    description="Changes the role, the organisation's own reference or the end date of an involvement. Only the "
    "organisation itself or the team's coordinator may; `If-Match` must name the involvement's version.",
    responses=errors(403, 404, 409, 412, 428) | WITH_ETAG,
)
async def update_involvement(
    session: Session,
    principal: Writer,
    case_id: CaseId,
    involvement_id: InvolvementId,
    body: InvolvementUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> InvolvementRead:
    return versioned(
        response, await service.update_involvement(session, principal, case_id, involvement_id, body, if_match)
    )
