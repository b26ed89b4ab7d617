import uuid
from datetime import date, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.visibility import organisations_seeing_case, visible_household, writable_household
from wijkregistratie.cases.models import Case, Involvement
from wijkregistratie.cases.queries import involvement_is_current
from wijkregistratie.consents.models import Consent
from wijkregistratie.consents.schemas import ConsentCreate, ConsentRead, ConsentWithdrawal
from wijkregistratie.core.clock import today
from wijkregistratie.core.codes import LawfulBasis
from wijkregistratie.core.errors import Conflict, InvalidInput, NotFound
from wijkregistratie.core.etag import check_if_match
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import case_event, household_event
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
    household = await writable_household(session, principal, household_id)
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
    check_if_match(if_match, consent.version)
    if consent.withdrawn_on is not None:
        raise Conflict("This consent was already withdrawn.")
    if data.withdrawn_on < consent.given_on:
        raise InvalidInput.field("withdrawnOn", "consent cannot be withdrawn before it was given")
    consent.withdrawn_on = data.withdrawn_on
    consent.version += 1
    session.add(consent)
    await _announce(session, EventType.consent_withdrawn, consent, principal)
    # The consent was in force until the day before: what rested on it ends with it, and the sight it gave.
    await end_involvements_resting_on(session, consent, consent.withdrawn_on - timedelta(days=1), principal)
    return read(consent)


async def end_involvements_resting_on(
    session: AsyncSession, consent: Consent, last_day: date, principal: Principal | None
) -> int:
    """End every current involvement that rests on `consent` on `last_day`, each with its event."""
    statement = select(Involvement, Case).join(Case, col(Case.id) == Involvement.case_id)
    statement = statement.where(Involvement.consent_id == consent.id, involvement_is_current())
    ended = 0
    for involvement, case in (await session.exec(statement)).all():
        told = await organisations_seeing_case(session, case.id) | {involvement.organisation_id}
        involvement.until = last_day
        involvement.version += 1
        session.add(involvement)
        data = {
            "involvementId": involvement.id,
            "organisationId": involvement.organisation_id,
            "until": last_day,
            "consentId": consent.id,
            "reason": "consent_ended",
        }
        await case_event(session, EventType.involvement_changed, case, principal, data, recipients=told)
        ended += 1
    return ended


async def end_lapsed_consents(session: AsyncSession) -> int:
    """Involvements resting on a consent that expired end on its last day; the worker asks this daily."""
    statement = select(Consent).where(
        col(Consent.expires_on) < today(),
        col(Consent.id).in_(select(Involvement.consent_id).where(involvement_is_current())),
    )
    ended = 0
    for consent in (await session.exec(statement)).all():
        if consent.expires_on is not None:
            ended += await end_involvements_resting_on(session, consent, consent.expires_on, None)
    return ended


async def list_consents(session: AsyncSession, principal: Principal, household_id: uuid.UUID) -> list[ConsentRead]:
    household = await visible_household(session, principal, household_id)
    statement = select(Consent).where(Consent.household_id == household.id).order_by(col(Consent.created_at))
    return [read(c) for c in (await session.exec(statement)).all()]


async def get_consent(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, consent_id: uuid.UUID
) -> ConsentRead:
    household = await visible_household(session, principal, household_id)
    consent = await session.get(Consent, consent_id)
    if consent is None or consent.household_id != household.id:
        raise NotFound("No consent with this id exists for this household.")
    return read(consent)


async def check_basis(
    session: AsyncSession,
    household_id: uuid.UUID,
    organisation_id: uuid.UUID,
    basis: str,
    consent_id: uuid.UUID | None,
) -> None:
    """An organisation taking part on the basis of consent names a consent in force, of a member of the
    household, for that organisation; on any other basis it names none."""
    if basis == LawfulBasis.consent:
        if consent_id is None:
            raise InvalidInput.field("consentId", "taking part on the basis of consent names the consent")
        await consent_for_involvement(session, household_id, organisation_id, consent_id)
    elif consent_id is not None:
        raise InvalidInput.field("consentId", "only taking part on the basis of consent names a consent")


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
    household = await writable_household(session, principal, household_id)
    consent = await session.get(Consent, consent_id)
    if consent is None or consent.household_id != household.id:
        raise NotFound("No consent with this id exists for this household.")
    return consent


def read(consent: Consent) -> ConsentRead:
    return ConsentRead.model_validate(consent.model_dump() | {"active": is_active(consent)})
