"""The case: one shared record per household, at most one open at a time, with one lead."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import (
    CaseAction,
    require_case_permission,
    require_involvement_adder,
    require_involvement_change,
    require_own_reference,
    sees_own_reference,
)
from wijkregistratie.access.visibility import (
    cases_visible_to,
    household_for_new_case,
    organisations_seeing_case,
    visible_case,
    visible_signal,
)
from wijkregistratie.cases.models import Case, Involvement, LeadAssignment
from wijkregistratie.cases.queries import (
    cases_by_own_reference,
    current_involvement,
    current_involvements,
    current_lead,
    led_by,
    led_by_someone_who_left,
    open_case_of,
)
from wijkregistratie.cases.schemas import (
    CaseClose,
    CaseOpen,
    CaseRecord,
    CaseSummary,
    InvolvementCreate,
    InvolvementRead,
    InvolvementUpdate,
    LeadAssign,
    LeadPeriod,
)
from wijkregistratie.consents.models import Consent
from wijkregistratie.consents.service import check_basis, is_active
from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.clock import today, utcnow
from wijkregistratie.core.codes import (
    CaseStatus,
    InvolvementRole,
    MatchTrigger,
    SignalStatus,
)
from wijkregistratie.core.errors import Conflict, InvalidInput, NotFound
from wijkregistratie.core.etag import check_if_match
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.route_facts import Subject
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import case_event
from wijkregistratie.households.models import Household
from wijkregistratie.households.service import household_read
from wijkregistratie.matches.service import case_counterparts, record_matches
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.plans.service import current_plan, plan_read
from wijkregistratie.professionals.models import Professional
from wijkregistratie.professionals.service import assignable, contact, contact_of
from wijkregistratie.signals.models import Signal
from wijkregistratie.signals.queries import signal_reads
from wijkregistratie.signals.schemas import AlreadyKnown, InvolvedOrganisation
from wijkregistratie.teams.models import Team
from wijkregistratie.teams.service import team_for_area


async def already_known(session: AsyncSession, household_id: uuid.UUID) -> AlreadyKnown:
    """Who is involved and who leads — contact details only, never what the case is about."""
    case = await open_case_of(session, household_id)
    if case is None:
        return AlreadyKnown(known=False)
    lead = await current_lead(session, case.id)
    return AlreadyKnown(
        known=True,
        involved_organisations=[
            InvolvedOrganisation(
                organisation_id=organisation.id,
                name=organisation.name,
                contact_name=organisation.contact_name,
                contact_phone=organisation.contact_phone,
                contact_email=organisation.contact_email,
            )
            for involvement, organisation in await current_involvements(session, case.id)
        ],
        lead_professional=await contact_of(session, lead.professional_id) if lead else None,
    )


async def open_case(session: AsyncSession, principal: Principal, data: CaseOpen) -> CaseSummary:
    signals = await _signals_to_take_up(session, principal, data.signal_ids, data.household_id)
    household = await household_for_new_case(session, principal, data.household_id, signals)
    if await open_case_of(session, household.id):
        raise Conflict("The household already has an open case; one household has one case at a time.")
    team = await _team_for_case(session, data.team_id, signals, household.buurt_code)
    case = Case(
        household_id=household.id,
        team_id=team.id,
        opened_by_organisation_id=principal.organisation_id,
        buurt_code=household.buurt_code,
        first_signal_at=min((s.registered_at for s in signals), default=None),
    )
    session.add(case)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("The household already has an open case; one household has one case at a time.") from exc
    for signal in signals:
        signal.leave_queue(SignalStatus.accepted)
        signal.case_id = case.id
    await case_event(
        session,
        EventType.case_opened,
        case,
        principal,
        {"householdId": case.household_id, "teamId": case.team_id, "signalIds": [s.id for s in signals]},
        recipients={principal.organisation_id},  # involved a moment from now
    )
    await involve(
        session,
        case,
        principal.organisation_id,
        InvolvementRole.carries_out,
        data.basis,
        data.basis_reference,
        data.own_reference,
        consent_id=data.consent_id,
        actor=principal,
    )
    return CaseSummary.model_validate(case)


async def _signals_to_take_up(
    session: AsyncSession, principal: Principal, signal_ids: list[uuid.UUID], household_id: uuid.UUID
) -> list[Signal]:
    signals = []
    for index, signal_id in enumerate(dict.fromkeys(signal_ids)):
        try:
            signal = await visible_signal(session, principal, signal_id)
        except NotFound as exc:
            raise InvalidInput.field(f"signalIds[{index}]", "unknown signal") from exc
        if signal.household_id != household_id:
            raise InvalidInput.field(f"signalIds[{index}]", "the signal concerns another household")
        if signal.status not in (SignalStatus.open, SignalStatus.in_triage):
            raise Conflict(f"Signal {signal_id} is {signal.status} and cannot be taken up.")
        signals.append(signal)
    return signals


async def _team_for_case(
    session: AsyncSession, team_id: uuid.UUID | None, signals: list[Signal], buurt_code: str | None
) -> Team:
    if team_id is not None:
        team = await session.get(Team, team_id)
        if team is None:
            raise InvalidInput.field("teamId", "unknown team")
        return team
    if signals:
        team = await session.get(Team, signals[0].team_id)
        if team is not None:
            return team
    team = await team_for_area(session, buurt_code) if buurt_code else None
    if team is None:
        raise InvalidInput.field("teamId", "no team serves the household's neighbourhood; give a teamId")
    return team


async def involve(
    session: AsyncSession,
    case: Case,
    organisation_id: uuid.UUID,
    role: InvolvementRole,
    basis: str,
    basis_reference: str,
    own_reference: str | None,
    since: date | None = None,
    consent_id: uuid.UUID | None = None,
    *,
    actor: Principal | None = None,
) -> Involvement:
    """Involve an organisation on its lawful basis (on consent: a consent in force, of a member of the
    household, for this organisation); it is first sent the case as it stands."""
    if await current_involvement(session, case.id, organisation_id) is not None:
        raise Conflict("This organisation is already involved in the case.")
    await check_basis(session, case.household_id, organisation_id, basis, consent_id)
    statement = select(Involvement.id).where(
        Involvement.case_id == case.id, Involvement.organisation_id == organisation_id
    )
    if (await session.exec(statement)).first() is None:
        case.organisations_involved += 1  # counted once per organisation, however often it joins
        session.add(case)
    involvement = Involvement(
        case_id=case.id,
        organisation_id=organisation_id,
        role=role,
        basis=basis,
        basis_reference=basis_reference,
        own_reference=own_reference,
        consent_id=consent_id,
        since=since or today(),
    )
    session.add(involvement)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "This organisation is already involved in the case, or its own reference already names another case."
        ) from exc
    await case_event(
        session, EventType.case_snapshot, case, actor, await _snapshot(session, case), recipients={organisation_id}
    )
    await case_event(session, EventType.involvement_started, case, actor, _involvement_data(involvement))
    team = (await session.exec(select(Team).where(Team.id == case.team_id))).one()
    await record_matches(
        session,
        case.household_id,
        team,
        organisation_id,
        MatchTrigger.involvement,
        found=await case_counterparts(session, case),
    )
    return involvement


def _involvement_data(involvement: Involvement) -> dict[str, Any]:
    return {
        "involvementId": involvement.id,
        "organisationId": involvement.organisation_id,
        "role": involvement.role,
        "basis": involvement.basis,
        "since": involvement.since,
        "until": involvement.until,
    }


async def _snapshot(session: AsyncSession, case: Case) -> dict[str, Any]:
    """The case as it stands, by ids: what an organisation that joins needs to fetch the rest."""
    lead = await current_lead(session, case.id)
    plan = await current_plan(session, case.id)
    involvements = [_involvement_data(i) for i, _ in await current_involvements(session, case.id)]
    return {
        "householdId": case.household_id,
        "teamId": case.team_id,
        "status": case.status,
        "openedAt": case.opened_at,
        "version": case.version,
        "leadProfessionalId": lead.professional_id if lead else None,
        "planVersion": plan.version if plan else None,
        "involvements": involvements,
    }


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    reference: str | None,
    status: CaseStatus | None,
    team_id: uuid.UUID | None,
    household_id: uuid.UUID | None,
    lead_professional_id: uuid.UUID | None,
    lead_left: bool | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[CaseSummary], str | None]:
    statement = select(Case).where(cases_visible_to(principal))
    if lead_professional_id:
        statement = statement.where(led_by(lead_professional_id))
    if lead_left is not None:
        statement = statement.where(led_by_someone_who_left() if lead_left else ~led_by_someone_who_left())
    if reference:  # the caller's own reference: the identity map between its system and the shared record
        statement = statement.where(col(Case.id).in_(cases_by_own_reference(principal.organisation_id, reference)))
    if status:
        statement = statement.where(Case.status == status)
    if team_id:
        statement = statement.where(Case.team_id == team_id)
    if household_id:
        statement = statement.where(Case.household_id == household_id)
    rows, next_cursor = await paginate(session, statement, Case.opened_at, Case.id, cursor, limit)
    note_subjects(session, *(Subject(case_id=r.id, household_id=r.household_id) for r in rows))
    return [CaseSummary.model_validate(r) for r in rows], next_cursor


async def get_case_record(
    session: AsyncSession, vault: BsnVault, principal: Principal, case_id: uuid.UUID
) -> CaseRecord:
    # One query for the case, its household and its team; whoever sees a case sees its household.
    statement = (
        select(Case, Household, Team)
        .join(Household, col(Household.id) == Case.household_id)
        .join(Team, col(Team.id) == Case.team_id)
        .where(Case.id == case_id, cases_visible_to(principal))
    )
    found = (await session.exec(statement)).first()
    if found is None:
        raise NotFound("No case with this id exists, or you may not see it.")
    case, household, team = found
    note_subjects(session, Subject(case_id=case.id, household_id=case.household_id))
    periods = await _lead_history(session, case.id)
    plan = await current_plan(session, case.id)
    signals = (
        await session.exec(select(Signal).where(Signal.case_id == case.id).order_by(col(Signal.registered_at)))
    ).all()
    return CaseRecord.model_validate(
        case.model_dump()
        | {
            "team_name": team.name,
            "household": await household_read(session, vault, principal, household),
            "lead_professional": next((p.professional for p in periods if p.ended_at is None), None),
            "lead_history": periods,
            "involvements": await list_involvements(session, principal, case.id, checked=True),
            "plan": plan_read(plan) if plan else None,
            "signals": await signal_reads(session, signals),
        }
    )


async def _lead_history(session: AsyncSession, case_id: uuid.UUID) -> list[LeadPeriod]:
    statement = (
        select(LeadAssignment, Professional, Organisation)
        .join(Professional, col(Professional.id) == LeadAssignment.professional_id)
        .join(Organisation, col(Organisation.id) == LeadAssignment.organisation_id)
        .where(LeadAssignment.case_id == case_id)
        .order_by(col(LeadAssignment.started_at), col(LeadAssignment.id))
    )
    return [
        LeadPeriod(professional=contact(professional, organisation), started_at=a.started_at, ended_at=a.ended_at)
        for a, professional, organisation in (await session.exec(statement)).all()
    ]


async def get_lead(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> tuple[LeadPeriod, int]:
    case = await visible_case(session, principal, case_id)
    lead = await current_lead(session, case.id)
    if lead is None:
        raise NotFound("This case has no lead professional yet.")
    period = LeadPeriod(professional=await contact_of(session, lead.professional_id), started_at=lead.started_at)
    return period, case.version


async def assign_lead(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: LeadAssign, if_match: str | None
) -> tuple[LeadPeriod, int]:
    """Assign the first lead, or hand over; the history of who led when is kept."""
    case = await visible_case(session, principal, case_id)
    if case.status == CaseStatus.closed:
        raise Conflict("The case is closed; it has no lead professional any more.")
    await require_case_permission(session, principal, case, CaseAction.assign_lead)
    check_if_match(if_match, case.version)
    professional = await assignable(session, data.professional_id, case.team_id)
    if professional is None:
        raise InvalidInput.field("professionalId", "not a professional of the case's team, or one who has left")
    previous = await current_lead(session, case.id)
    if previous and previous.professional_id == professional.id:
        raise Conflict("This professional already leads the case.")
    now = utcnow()
    if previous:
        previous.ended_at = now
        session.add(previous)
        await session.flush()  # the old assignment ends before the new one may start
    session.add(
        LeadAssignment(
            case_id=case.id,
            professional_id=professional.id,
            organisation_id=professional.organisation_id,
            started_at=now,
            assigned_by_client_id=principal.client_id,
        )
    )
    await _move_lead_role(session, case, professional.organisation_id, data)
    case.status = CaseStatus.active
    case.version += 1
    session.add(case)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("Another lead professional was assigned at the same moment; reload and retry.") from exc
    await case_event(
        session,
        EventType.lead_professional_changed,
        case,
        principal,
        {
            "professionalId": professional.id,
            "organisationId": professional.organisation_id,
            "previousProfessionalId": previous.professional_id if previous else None,
            "version": case.version,
        },
    )
    period = LeadPeriod(professional=await contact_of(session, professional.id), started_at=now)
    return period, case.version


async def _move_lead_role(session: AsyncSession, case: Case, organisation_id: uuid.UUID, data: LeadAssign) -> None:
    """The lead role follows the lead professional's organisation; the previous lead carries on."""
    involvements = await current_involvements(session, case.id)
    for involvement, _ in involvements:
        if involvement.role == InvolvementRole.lead and involvement.organisation_id != organisation_id:
            involvement.role = InvolvementRole.carries_out
            involvement.version += 1
            session.add(involvement)
    mine = next((i for i, _ in involvements if i.organisation_id == organisation_id), None)
    if mine is None:
        await involve(
            session,
            case,
            organisation_id,
            InvolvementRole.lead,
            data.basis,
            data.basis_reference,
            None,
            consent_id=data.consent_id,
        )
    elif mine.role != InvolvementRole.lead:
        mine.role = InvolvementRole.lead
        mine.version += 1
        session.add(mine)


async def close_case(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: CaseClose, if_match: str | None
) -> CaseSummary:
    case = await visible_case(session, principal, case_id)
    if case.status == CaseStatus.closed:
        raise Conflict("The case is already closed.")
    await require_case_permission(session, principal, case, CaseAction.close)
    check_if_match(if_match, case.version)
    now = utcnow()
    lead = await current_lead(session, case.id)
    if lead:
        lead.ended_at = now
        session.add(lead)
    case.status = CaseStatus.closed
    case.closed_at = now
    case.closure_reason = data.reason
    case.handled_by = data.handled_by
    case.learning_note = data.learning_note
    case.version += 1
    session.add(case)
    await case_event(
        session,
        EventType.case_closed,
        case,
        principal,
        {"reason": case.closure_reason, "handledBy": case.handled_by, "closedAt": now, "version": case.version},
    )
    return CaseSummary.model_validate(case)


async def list_involvements(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, checked: bool = False
) -> list[InvolvementRead]:
    if not checked:
        await visible_case(session, principal, case_id)
    statement = (
        select(Involvement, Organisation, Consent)
        .join(Organisation, col(Organisation.id) == Involvement.organisation_id)
        .outerjoin(Consent, col(Consent.id) == Involvement.consent_id)
        .where(Involvement.case_id == case_id)
        .order_by(col(Involvement.since), col(Involvement.created_at), col(Involvement.id))
    )
    return [_involvement_read(i, o, principal, c) for i, o, c in (await session.exec(statement)).all()]


def _involvement_read(
    involvement: Involvement, organisation: Organisation, principal: Principal, consent: Consent | None = None
) -> InvolvementRead:
    own_reference = involvement.own_reference if sees_own_reference(principal, involvement) else None
    return InvolvementRead.model_validate(
        involvement.model_dump()
        | {
            "organisation_name": organisation.name,
            "own_reference": own_reference,
            "consent_active": is_active(consent) if consent else None,
        }
    )


async def get_involvement(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, involvement_id: uuid.UUID
) -> InvolvementRead:
    case = await visible_case(session, principal, case_id)
    found = next(
        (i for i in await list_involvements(session, principal, case.id, checked=True) if i.id == involvement_id), None
    )
    if found is None:
        raise NotFound("No involvement with this id exists in this case.")
    return found


async def add_involvement(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: InvolvementCreate
) -> InvolvementRead:
    case = await visible_case(session, principal, case_id)
    await require_case_permission(session, principal, case, CaseAction.change_record)
    if case.status == CaseStatus.closed:
        raise Conflict("The case is closed; no organisation can join it.")
    if data.role == InvolvementRole.lead:
        raise Conflict("A case has one lead: the lead role follows the lead professional (PUT lead-professional).")
    organisation = await session.get(Organisation, data.organisation_id)
    if organisation is None:
        raise InvalidInput.field("organisationId", "unknown organisation")
    if data.own_reference:
        require_own_reference(principal, data.organisation_id)
    await require_involvement_adder(session, principal, case, organisation.id)
    involvement = await involve(
        session,
        case,
        organisation.id,
        data.role,
        data.basis,
        data.basis_reference,
        data.own_reference,
        data.since,
        data.consent_id,
        actor=principal,
    )
    consent = await session.get(Consent, data.consent_id) if data.consent_id else None
    return _involvement_read(involvement, organisation, principal, consent)


async def update_involvement(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    involvement_id: uuid.UUID,
    data: InvolvementUpdate,
    if_match: str | None,
) -> InvolvementRead:
    case = await visible_case(session, principal, case_id)
    involvement = await session.get(Involvement, involvement_id)
    if involvement is None or involvement.case_id != case.id:
        raise NotFound("No involvement with this id exists in this case.")
    organisation = await session.get(Organisation, involvement.organisation_id)
    if organisation is None:
        raise NotFound("No involvement with this id exists in this case.")
    require_involvement_change(principal, case, involvement)
    check_if_match(if_match, involvement.version)
    changes = data.model_dump(exclude_unset=True)
    if "role" in changes and changes["role"] is None:
        raise InvalidInput.field("role", "an involvement always has a role")
    if "own_reference" in changes:
        require_own_reference(principal, involvement.organisation_id)
    leads = involvement.role == InvolvementRole.lead
    if "role" in changes and (changes["role"] == InvolvementRole.lead) != leads:
        raise Conflict("The lead role follows the lead professional (PUT lead-professional).")
    if changes.get("until") is not None:
        if changes["until"] < involvement.since:
            raise InvalidInput.field("until", "the involvement cannot end before it began")
        if leads and case.status != CaseStatus.closed:
            raise Conflict("The lead organisation stays involved while it leads; hand over the lead first.")
    for name, value in changes.items():
        setattr(involvement, name, value)
    involvement.version += 1
    session.add(involvement)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("Your own reference already names another case.") from exc
    told = await organisations_seeing_case(session, case.id) | {involvement.organisation_id}
    data_changed = _involvement_data(involvement) | {"changed": sorted(changes)}
    await case_event(session, EventType.involvement_changed, case, principal, data_changed, recipients=told)
    return _involvement_read(involvement, organisation, principal)
