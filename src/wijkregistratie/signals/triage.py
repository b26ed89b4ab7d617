"""Triage: the coordinator's queue of incoming signals and what the team does with each.

Every action is recorded with who and when. Actions only apply to a signal that is still open or in
triage; a signal that was accepted, declined or forwarded is settled (409).
"""

import uuid
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import require_coordinator, require_first_contact_recorder, require_self_claimer
from wijkregistratie.access.visibility import signal_to_take_up, visible_signal
from wijkregistratie.cases.models import Case, LeadAssignment
from wijkregistratie.cases.queries import open_case_of
from wijkregistratie.cases.schemas import CaseOpen
from wijkregistratie.cases.service import open_case
from wijkregistratie.core.clock import today
from wijkregistratie.core.codes import CaseStatus, LifeDomain, SignalStatus, TriageActionKind
from wijkregistratie.core.errors import Conflict, InvalidInput
from wijkregistratie.core.etag import check_if_match
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import signal_event
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.professionals.models import Professional, TeamMembership
from wijkregistratie.professionals.queries import still_working
from wijkregistratie.professionals.service import assignable
from wijkregistratie.signals.models import Signal, SignalAssignment, TriageAction
from wijkregistratie.signals.queries import signal_reads
from wijkregistratie.signals.schemas import (
    FirstContact,
    SignalAccept,
    SignalClaim,
    SignalDecline,
    SignalForward,
    SignalRead,
    SuggestedProfessional,
    TriageActionRead,
)

UNSETTLED = (SignalStatus.open, SignalStatus.in_triage)


async def _signal_for_triage(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID, if_match: str | None
) -> Signal:
    signal = await visible_signal(session, principal, signal_id)
    require_coordinator(principal, signal.team_id)
    if signal.status not in UNSETTLED:
        raise Conflict(f"The signal is {signal.status}; triage is over for it.")
    check_if_match(if_match, signal.version)
    return signal


async def _record(
    session: AsyncSession, principal: Principal, signal: Signal, action: TriageActionKind, **details: Any
) -> SignalRead:
    session.add(
        TriageAction(
            signal_id=signal.id,
            action=action,
            organisation_id=principal.organisation_id,
            professional_id=principal.actor_professional_id,
            client_id=principal.client_id,
            details={k: str(v) for k, v in details.items() if v is not None},
        )
    )
    signal.version += 1
    session.add(signal)
    await signal_event(
        session, EventType.signal_status_changed, signal, principal, {"action": action, "caseId": signal.case_id}
    )
    if signal.status not in UNSETTLED and (signal.reporter or {}).get("wants_feedback"):
        # Who tells the GP or the school is the team's to arrange; the record says that it is due.
        await signal_event(session, EventType.signal_feedback_due, signal, principal, {"action": action})
    return (await signal_reads(session, [signal]))[0]


async def claim(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID, data: SignalClaim, if_match: str | None
) -> SignalRead:
    signal = await _signal_for_triage(session, principal, signal_id, if_match)
    professional_ids = list(dict.fromkeys(data.professional_ids))
    for index, professional_id in enumerate(professional_ids):
        if await assignable(session, professional_id, signal.team_id) is None:
            raise InvalidInput.field(
                f"professionalIds[{index}]", "not a professional of the signal's team, or one who has left"
            )
    current = (await session.exec(select(SignalAssignment).where(SignalAssignment.signal_id == signal.id))).all()
    for assignment in current:
        await session.delete(assignment)
    await session.flush()
    session.add_all([SignalAssignment(signal_id=signal.id, professional_id=p) for p in professional_ids])
    signal.status = SignalStatus.in_triage
    signal.planned_first_contact_on = data.planned_first_contact_on or signal.planned_first_contact_on
    return await _record(
        session,
        principal,
        signal,
        TriageActionKind.claimed,
        professionals=",".join(str(p) for p in professional_ids),
        planned_first_contact_on=data.planned_first_contact_on,
    )


PAIR = 2  # teams go out in pairs: a signal is taken up by at most two professionals


async def take_up(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID, if_match: str | None
) -> SignalRead:
    """A professional of the team takes the signal up themselves; a second may join for a pair visit."""
    signal = await signal_to_take_up(session, principal, signal_id)
    professional_id = await require_self_claimer(session, principal, signal)
    check_if_match(if_match, signal.version)
    assigned = (
        await session.exec(select(SignalAssignment.professional_id).where(SignalAssignment.signal_id == signal.id))
    ).all()
    if professional_id in assigned:
        raise Conflict("You already took this signal up.")
    if len(assigned) >= PAIR:
        raise Conflict("Two professionals already took this signal up.")
    session.add(SignalAssignment(signal_id=signal.id, professional_id=professional_id))
    signal.status = SignalStatus.in_triage
    return await _record(session, principal, signal, TriageActionKind.taken_up, professional=professional_id)


async def record_first_contact(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID, data: FirstContact, if_match: str | None
) -> SignalRead:
    signal = await visible_signal(session, principal, signal_id)
    if signal.first_contact_on is not None:
        raise Conflict("The first contact of this signal is already recorded.")
    if data.contacted_on < today(signal.registered_at) or data.contacted_on > today():
        raise InvalidInput.field("contactedOn", "the first contact lies between registration and today")
    await require_first_contact_recorder(session, principal, signal)
    check_if_match(if_match, signal.version)
    signal.first_contact_on = data.contacted_on
    return await _record(session, principal, signal, TriageActionKind.first_contact_made, on=data.contacted_on)


async def accept(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID, data: SignalAccept, if_match: str | None
) -> SignalRead:
    """The signal joins the household's open case, or a new case of the signal's team is opened for it."""
    signal = await _signal_for_triage(session, principal, signal_id, if_match)
    case = await open_case_of(session, signal.household_id)
    if case is None:
        opened = await open_case(
            session,
            principal,
            CaseOpen(
                household_id=signal.household_id,
                team_id=signal.team_id,
                signal_ids=[signal.id],
                basis=data.basis,
                basis_reference=data.basis_reference,
                consent_id=data.consent_id,
            ),
        )
        case_id = opened.id
    else:
        signal.leave_queue(SignalStatus.accepted)
        signal.case_id = case.id
        if case.first_signal_at is None or signal.registered_at < case.first_signal_at:
            case.first_signal_at = signal.registered_at
            session.add(case)
        case_id = case.id
    return await _record(session, principal, signal, TriageActionKind.accepted, case=case_id)


async def decline(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID, data: SignalDecline, if_match: str | None
) -> SignalRead:
    signal = await _signal_for_triage(session, principal, signal_id, if_match)
    signal.leave_queue(SignalStatus.declined)
    signal.triage_reason = data.reason
    return await _record(session, principal, signal, TriageActionKind.declined)


async def forward(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID, data: SignalForward, if_match: str | None
) -> SignalRead:
    signal = await _signal_for_triage(session, principal, signal_id, if_match)
    if await session.get(Organisation, data.organisation_id) is None:
        raise InvalidInput.field("organisationId", "unknown organisation")
    signal.leave_queue(SignalStatus.forwarded)
    signal.triage_reason = data.reason
    signal.forwarded_to_organisation_id = data.organisation_id
    return await _record(session, principal, signal, TriageActionKind.forwarded, to=data.organisation_id)


async def actions(session: AsyncSession, principal: Principal, signal_id: uuid.UUID) -> list[TriageActionRead]:
    signal = await visible_signal(session, principal, signal_id)
    statement = (
        select(TriageAction)
        .where(TriageAction.signal_id == signal.id)
        .order_by(col(TriageAction.at), col(TriageAction.id))
    )
    return [TriageActionRead.model_validate(a) for a in (await session.exec(statement)).all()]


async def suggest_professionals(
    session: AsyncSession, principal: Principal, signal_id: uuid.UUID
) -> list[SuggestedProfessional]:
    """The team's professionals whose expertise covers the signal's domains, least busy first; a returning
    household's former lead, still in the team, comes first whatever their expertise."""
    signal = await visible_signal(session, principal, signal_id)
    require_coordinator(principal, signal.team_id)
    statement = (
        select(Professional, Organisation)
        .join(TeamMembership, col(TeamMembership.professional_id) == Professional.id)
        .join(Organisation, col(Organisation.id) == Professional.organisation_id)
        .where(TeamMembership.team_id == signal.team_id, still_working())
    )
    suggestions = []
    for professional, organisation in (await session.exec(statement)).all():
        matching = [d for d in signal.life_domains if d in professional.expertise]
        former_lead = professional.id == signal.former_lead_professional_id
        if matching or former_lead:
            suggestions.append(
                SuggestedProfessional(
                    professional_id=professional.id,
                    name=professional.name,
                    organisation_id=organisation.id,
                    organisation_name=organisation.name,
                    matching_domains=[LifeDomain(d) for d in matching],
                    open_caseload=await _caseload(session, professional.id),
                    former_lead=former_lead,
                )
            )
    return sorted(suggestions, key=lambda s: (not s.former_lead, -len(s.matching_domains), s.open_caseload, s.name))


async def _caseload(session: AsyncSession, professional_id: uuid.UUID) -> int:
    leading = select(func.count()).select_from(LeadAssignment).join(Case, col(Case.id) == LeadAssignment.case_id)
    leading = leading.where(
        LeadAssignment.professional_id == professional_id,
        col(LeadAssignment.ended_at).is_(None),
        Case.status == CaseStatus.active,
    )
    in_triage = (
        select(func.count())
        .select_from(SignalAssignment)
        .join(Signal, col(Signal.id) == SignalAssignment.signal_id)
        .where(SignalAssignment.professional_id == professional_id, Signal.status == SignalStatus.in_triage)
    )
    return int((await session.exec(leading)).one()) + int((await session.exec(in_triage)).one())
