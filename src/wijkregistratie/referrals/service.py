"""Referrals as a closed loop: the receiver takes each step with its own credentials, the sender sees them all.

The statuses follow the FHIR Task used for social-care referrals.
"""

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import CaseAction, require_case_permission, require_referral_step
from wijkregistratie.access.visibility import (
    organisations_seeing_case,
    referrals_visible_to,
    visible_case,
    visible_referral,
)
from wijkregistratie.cases.models import Case
from wijkregistratie.cases.queries import current_involvement
from wijkregistratie.cases.service import involve
from wijkregistratie.consents.service import check_basis
from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import CaseStatus, InvolvementRole, ReferralStatus
from wijkregistratie.core.errors import Conflict, InvalidInput, NotFound
from wijkregistratie.core.etag import check_if_match
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.route_facts import Subject
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import case_event
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.referrals.models import Referral, ReferralStatusChange
from wijkregistratie.referrals.schemas import ReferralCreate, ReferralRead, ReferralStatusUpdate, ReferralStep
from wijkregistratie.services.models import Service

S = ReferralStatus
# Which status may follow which, and whose step it is.
RECEIVER_STEPS: dict[ReferralStatus, set[ReferralStatus]] = {
    S.requested: {S.received, S.rejected},
    S.received: {S.accepted, S.rejected},
    S.accepted: {S.in_progress},
    S.in_progress: {S.completed},
}
CANCELLABLE = {S.requested, S.received, S.accepted, S.in_progress}
NEEDS_REASON = {S.rejected, S.cancelled}


async def create_referral(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: ReferralCreate
) -> ReferralRead:
    case = await visible_case(session, principal, case_id)
    await require_case_permission(session, principal, case, CaseAction.change_record)
    if case.status == CaseStatus.closed:
        raise Conflict("The case is closed; it refers no one any more.")
    if await session.get(Organisation, data.organisation_id) is None:
        raise InvalidInput.field("organisationId", "unknown organisation")
    if data.service_id is not None:
        service = await session.get(Service, data.service_id)
        if service is None or service.organisation_id != data.organisation_id:
            raise InvalidInput.field("serviceId", "not a service of the organisation referred to")
    await check_basis(session, case.household_id, data.organisation_id, data.basis, data.consent_id)
    referral = Referral(
        case_id=case.id,
        from_organisation_id=principal.organisation_id,
        to_organisation_id=data.organisation_id,
        service_id=data.service_id,
        reason=data.reason,
        basis=data.basis,
        basis_reference=data.basis_reference,
        consent_id=data.consent_id,
        status=S.requested,
    )
    session.add(referral)
    await session.flush()
    await _step(session, principal, referral, S.requested, None, None)
    return await _read(session, referral)


async def change_status(
    session: AsyncSession,
    principal: Principal,
    referral_id: uuid.UUID,
    data: ReferralStatusUpdate,
    if_match: str | None,
) -> ReferralRead:
    referral = await visible_referral(session, principal, referral_id)
    check_if_match(if_match, referral.version)
    current = ReferralStatus(referral.status)
    if data.status == S.cancelled and current not in CANCELLABLE:
        raise Conflict(f"A {current} referral can no longer be cancelled.")
    if data.status != S.cancelled and data.status not in RECEIVER_STEPS.get(current, set()):
        raise Conflict(f"A referral cannot go from {current} to {data.status}.")
    require_referral_step(principal, referral, data.status)
    if data.status in NEEDS_REASON and not data.reason:
        raise InvalidInput.field("reason", f"a reason is required to set {data.status}")
    if data.status == S.accepted:
        await _involve_receiver(session, referral, principal)
    referral.status = data.status
    referral.status_reason = data.reason
    referral.outcome = data.outcome or referral.outcome
    referral.version += 1
    referral.updated_at = utcnow()
    session.add(referral)
    await _step(session, principal, referral, data.status, data.reason, data.outcome)
    return await _read(session, referral)


async def _involve_receiver(session: AsyncSession, referral: Referral, principal: Principal) -> None:
    """Accepting a referral makes the receiver one of the organisations involved in the case."""
    case = await session.get(Case, referral.case_id)
    if case is None or case.status == CaseStatus.closed:
        raise Conflict("The case is closed; the referral cannot be accepted.")
    if await current_involvement(session, case.id, referral.to_organisation_id) is None:
        await involve(
            session,
            case,
            referral.to_organisation_id,
            InvolvementRole.carries_out,
            referral.basis,
            referral.basis_reference,
            None,
            consent_id=referral.consent_id,
            actor=principal,
        )


async def _step(
    session: AsyncSession,
    principal: Principal,
    referral: Referral,
    status: ReferralStatus,
    reason: str | None,
    outcome: str | None,
) -> None:
    session.add(
        ReferralStatusChange(
            referral_id=referral.id,
            status=status,
            reason=reason,
            outcome=outcome,
            organisation_id=principal.organisation_id,
            client_id=principal.client_id,
        )
    )
    case = await session.get(Case, referral.case_id)
    if case is None:
        raise NotFound("The referral's case does not exist.")
    told = await organisations_seeing_case(session, case.id) | {
        referral.from_organisation_id,
        referral.to_organisation_id,
    }
    kind = EventType.referral_requested if status == S.requested else EventType.referral_status_changed
    data = {
        "referralId": referral.id,
        "fromOrganisationId": referral.from_organisation_id,
        "toOrganisationId": referral.to_organisation_id,
        "serviceId": referral.service_id,
        "status": status,
    }
    await case_event(session, kind, case, principal, data, recipients=told)


async def get_referral(session: AsyncSession, principal: Principal, referral_id: uuid.UUID) -> ReferralRead:
    return await _read(session, await visible_referral(session, principal, referral_id))


async def list_case_referrals(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[ReferralRead]:
    case = await visible_case(session, principal, case_id)
    statement = select(Referral).where(Referral.case_id == case.id).order_by(col(Referral.created_at))
    return [await _read(session, r) for r in (await session.exec(statement)).all()]


async def list_referrals(
    session: AsyncSession,
    principal: Principal,
    received: bool | None,
    status: ReferralStatus | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ReferralRead], str | None]:
    statement = select(Referral).where(referrals_visible_to(principal))
    if received is True:
        statement = statement.where(Referral.to_organisation_id == principal.organisation_id)
    elif received is False:
        statement = statement.where(Referral.from_organisation_id == principal.organisation_id)
    if status:
        statement = statement.where(Referral.status == status)
    rows, next_cursor = await paginate(session, statement, Referral.created_at, Referral.id, cursor, limit)
    note_subjects(session, *(Subject(case_id=r.case_id) for r in rows))
    return [await _read(session, r) for r in rows], next_cursor


async def _read(session: AsyncSession, referral: Referral) -> ReferralRead:
    statement = (
        select(ReferralStatusChange)
        .where(ReferralStatusChange.referral_id == referral.id)
        .order_by(col(ReferralStatusChange.at), col(ReferralStatusChange.id))
    )
    history = [ReferralStep.model_validate(s) for s in (await session.exec(statement)).all()]
    return ReferralRead.model_validate(
        referral.model_dump() | {"organisation_id": referral.to_organisation_id, "history": history}
    )
