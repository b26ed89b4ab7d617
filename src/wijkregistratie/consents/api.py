import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from wijkregistratie.consents import service
from wijkregistratie.consents.schemas import ConsentCreate, ConsentRead, ConsentWithdrawal
from wijkregistratie.core.database import Session
from wijkregistratie.core.etag import WITH_ETAG, IfMatch, versioned
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
    responses=errors(404),
)
async def record_consent(
    session: Session, principal: Writer, household_id: HouseholdId, body: ConsentCreate
) -> ConsentRead:
    return await service.record_consent(session, principal, household_id, body)


@router.get(
    "",
    summary="List a household's consents",
    description="Every consent recorded for the household's members, with whether it is in force today.",
    responses=errors(404),
)
async def list_consents(session: Session, principal: Reader, household_id: HouseholdId) -> list[ConsentRead]:
    return await service.list_consents(session, principal, household_id)


@router.post(
    "/{consentId}/withdraw",
    summary="Withdraw a consent",
    description="Records that the member withdrew the consent, from the given day on. It stays in the record, "
    "shown as withdrawn. `If-Match` is honoured when sent.",
    responses=errors(404, 409, 412) | WITH_ETAG,
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
