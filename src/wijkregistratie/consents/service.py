import uuid
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.visibility import visible_household
from wijkregistratie.consents.models import Consent
from wijkregistratie.consents.schemas import ConsentCreate, ConsentRead, ConsentWithdrawal
from wijkregistratie.core.clock import today
from wijkregistratie.core.errors import Conflict, InvalidInput, NotFound
from wijkregistratie.core.etag import check_if_match
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import household_event
from wijkregistratie.households.models import Member
from wijkregistratie.organisations.models import Organisation


def is_active(consent: Consent, on: date | None = None) -> bool:
    day = on or today()
    return (
        consent.given_on <= day
        and (consent.expires_on is None or consent.expires_on >= day)
        and (consent.withdrawn_on is None or consent.withdrawn_on > day)
    )


async def record_consent(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, data: ConsentCreate
) -> ConsentRead:
    household = await visible_household(session, principal, household_id)
    member = await session.get(Member, data.member_id)
    if member is None or member.household_id != household.id:
        raise InvalidInput.field("memberId", "not a member of this household")
    if await session.get(Organisation, data.organisation_id) is None:
        raise InvalidInput.field("organisationId", "unknown organisation")
    if data.expires_on is not None and data.expires_on < data.given_on:
        raise InvalidInput.field("expiresOn", "consent cannot expire before it is given")
    consent = Consent(
        household_id=household.id,
        member_id=member.id,
        organisation_id=data.organisation_id,
        purpose=data.purpose,
        given_on=data.given_on,
        expires_on=data.expires_on,
        recorded_by_organisation_id=principal.organisation_id,
    )
    session.add(consent)
    await _announce(session, EventType.consent_recorded, consent, principal)
    return read(consent)


async def _announce(session: AsyncSession, type_: EventType, consent: Consent, principal: Principal) -> None:
    data = {
        "consentId": consent.id,
        "memberId": consent.member_id,
        "organisationId": consent.organisation_id,
        "givenOn": consent.given_on,
        "expiresOn": consent.expires_on,
        "withdrawnOn": consent.withdrawn_on,
    }
    told = {consent.recorded_by_organisation_id, consent.organisation_id, principal.organisation_id}
    await household_event(session, type_, consent.household_id, principal, data, told)


async def withdraw(
    session: AsyncSession,
    principal: Principal,
    household_id: uuid.UUID,
    consent_id: uuid.UUID,
    data: ConsentWithdrawal,
    if_match: str | None,
) -> ConsentRead:
    consent = await _consent(session, principal, household_id, consent_id)
    if if_match is not None:
        check_if_match(if_match, consent.version)
    if consent.withdrawn_on is not None:
        raise Conflict("This consent was already withdrawn.")
    if data.withdrawn_on < consent.given_on:
        raise InvalidInput.field("withdrawnOn", "consent cannot be withdrawn before it was given")
    consent.withdrawn_on = data.withdrawn_on
    consent.version += 1
    session.add(consent)
    await _announce(session, EventType.consent_withdrawn, consent, principal)
    return read(consent)


async def list_consents(session: AsyncSession, principal: Principal, household_id: uuid.UUID) -> list[ConsentRead]:
    household = await visible_household(session, principal, household_id)
    statement = select(Consent).where(Consent.household_id == household.id).order_by(col(Consent.created_at))
    return [read(c) for c in (await session.exec(statement)).all()]


async def consent_for_involvement(
    session: AsyncSession, household_id: uuid.UUID, organisation_id: uuid.UUID, consent_id: uuid.UUID
) -> Consent:
    """A consent an involvement may rest on: of this household, for this organisation, in force today."""
    consent = await session.get(Consent, consent_id)
    if consent is None or consent.household_id != household_id:
        raise InvalidInput.field("consentId", "not a consent of this household")
    if consent.organisation_id != organisation_id:
        raise InvalidInput.field("consentId", "the consent is for another organisation")
    if not is_active(consent):
        raise InvalidInput.field("consentId", "the consent is withdrawn, expired or not yet given")
    return consent


async def _consent(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, consent_id: uuid.UUID
) -> Consent:
    household = await visible_household(session, principal, household_id)
    consent = await session.get(Consent, consent_id)
    if consent is None or consent.household_id != household.id:
        raise NotFound("No consent with this id exists for this household.")
    return consent


def read(consent: Consent) -> ConsentRead:
    return ConsentRead.model_validate(consent.model_dump() | {"active": is_active(consent)})
