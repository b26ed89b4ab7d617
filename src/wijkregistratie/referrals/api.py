import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from wijkregistratie.core.codes import ReferralStatus
from wijkregistratie.core.database import Session
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, IfMatch, versioned
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.paths import CaseId
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Reader, Writer
from wijkregistratie.referrals import service
from wijkregistratie.referrals.queries import referral_subject
from wijkregistratie.referrals.schemas import ReferralCreate, ReferralPage, ReferralRead, ReferralStatusUpdate

router = APIRouter(
    prefix=API_PREFIX, tags=["Referrals"], route_class=route_class(personal=True, subject=referral_subject)
)
ReferralId = Annotated[uuid.UUID, Path(alias="referralId", description="The referral's id.")]


@router.post(
    "/cases/{caseId}/referrals",
    status_code=201,
    summary="Refer to an organisation",
    description="Refers the case to an organisation (or one of its services) for specialist help, with the "
    "reason and the basis on which the receiver will take part. The receiver sees the referral from then on.",
    responses=errors(404, 409) | CREATED_WITH_ETAG,
)
async def create_referral(
    session: Session, principal: Writer, case_id: CaseId, body: ReferralCreate, response: Response
) -> ReferralRead:
    referral = await service.create_referral(session, principal, case_id, body)
    return versioned(response, referral, location=f"{API_PREFIX}/referrals/{referral.id}")


@router.get(
    "/cases/{caseId}/referrals",
    summary="List a case's referrals",
    description="The referrals of the case with every step the receivers took.",
    responses=errors(404),
)
async def list_case_referrals(session: Session, principal: Reader, case_id: CaseId) -> list[ReferralRead]:
    return await service.list_case_referrals(session, principal, case_id)


@router.get(
    "/referrals",
    summary="List referrals",
    description="Referrals the caller may see: those sent to its organisation (`received=true`: its inbox), "
    "those it sent (`received=false`), or all, oldest first.",
)
async def list_referrals(
    session: Session,
    principal: Reader,
    received: Annotated[bool | None, Query(description="Sent to the caller (true) or by it (false).")] = None,
    status: Annotated[ReferralStatus | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> ReferralPage:
    items, next_cursor = await service.list_referrals(session, principal, received, status, cursor, limit)
    return ReferralPage(items=items, next_cursor=next_cursor)


@router.get(
    "/referrals/{referralId}",
    summary="Read a referral",
    description="One referral with its history of steps.",
    responses=errors(404) | WITH_ETAG,
)
async def get_referral(
    session: Session, principal: Reader, referral_id: ReferralId, response: Response
) -> ReferralRead:
    return versioned(response, await service.get_referral(session, principal, referral_id))


@router.post(
    "/referrals/{referralId}/status",
    summary="Take the next step of a referral",
    description="`requested → received → accepted | rejected → in_progress → completed`, or `cancelled` by "
    "the sending side. The receiver takes its steps with its own credentials; rejecting and cancelling need a "
    "reason. Accepting makes the receiver an involved organisation. Needs `If-Match`.",
    responses=errors(403, 404, 409, 412, 428) | WITH_ETAG,
)
async def change_referral_status(
    session: Session,
    principal: Writer,
    referral_id: ReferralId,
    body: ReferralStatusUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ReferralRead:
    return versioned(response, await service.change_status(session, principal, referral_id, body, if_match))
