import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from wijkregistratie.consents import service
from wijkregistratie.consents.schemas import ConsentCreate, ConsentRead, ConsentWithdrawal
from wijkregistratie.core.database import Session
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, IfMatch, versioned
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.paths import HouseholdId
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Reader, Writer
from wijkregistratie.households.queries import household_subject

router = APIRouter(
    prefix=API_PREFIX + "/households/{householdId}/consents",
    tags=["Consents"],
    route_class=route_class(personal=True, subject=household_subject),
)
ConsentId = Annotated[uuid.UUID, Path(alias="consentId", description="The consent's id.")]


@router.post(
    "",
    status_code=201,
    summary="Record a consent",
    description="A member's consent for an organisation to take part, with its purpose and dates. An "
    "involvement can then name it as its lawful basis.",
    responses=errors(404) | CREATED_WITH_ETAG,
)
async def record_consent(
    session: Session, principal: Writer, household_id: HouseholdId, body: ConsentCreate, response: Response
) -> ConsentRead:
    consent = await service.record_consent(session, principal, household_id, body)
    return versioned(response, consent, location=f"{API_PREFIX}/households/{household_id}/consents/{consent.id}")


@router.get(
    "",
    summary="List a household's consents",
    description="Every consent recorded for the household's members, with whether it is in force today.",
    responses=errors(404),
)
async def list_consents(session: Session, principal: Reader, household_id: HouseholdId) -> list[ConsentRead]:
    return await service.list_consents(session, principal, household_id)


@router.get(
    "/{consentId}",
    summary="Read a consent",
    description="One consent, with whether it is in force today and the version to withdraw it by.",
    responses=errors(404) | WITH_ETAG,
)
async def get_consent(
    session: Session, principal: Reader, household_id: HouseholdId, consent_id: ConsentId, response: Response
) -> ConsentRead:
    return versioned(response, await service.get_consent(session, principal, household_id, consent_id))


@router.post(
    "/{consentId}/withdraw",
    summary="Withdraw a consent",
    description="Records that the member withdrew the consent, from the given day on. It stays in the record, "
    "shown as withdrawn. Needs `If-Match`.",
    responses=errors(404, 409, 412, 428) | WITH_ETAG,
)
async def withdraw_consent(
    session: Session,
    principal: Writer,
    household_id: HouseholdId,
    consent_id: ConsentId,
    body: ConsentWithdrawal,
    response: Response,
    if_match: IfMatch = None,
) -> ConsentRead:
    return versioned(response, await service.withdraw(session, principal, household_id, consent_id, body, if_match))
