"""Work lists: what each professional carries, and what has come due in a team.

Due are: a plan's evaluation (on its evaluation date), a signal's first contact (on the team's deadline,
while none is recorded), a plan activity not done (on its date), and a referral nobody answered (the
team's number of days after it was sent). The lists show only what the caller may see; the worker
announces each item once, on the day it comes due (see `jobs.py`).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import is_coordinator, require_coordinator
from wijkregistratie.access.visibility import UNSETTLED, cases_visible_to, referrals_visible_to, signals_visible_to
from wijkregistratie.cases.models import Case, LeadAssignment
from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.clock import today
from wijkregistratie.core.codes import CaseStatus, ReferralStatus
from wijkregistratie.core.errors import Forbidden, NotFound
from wijkregistratie.core.route_facts import Subject
from wijkregistratie.core.security import Principal
from wijkregistratie.households.queries import household_names
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.plans.models import PlanVersion
from wijkregistratie.plans.schemas import ActivityStatus, PerformerKind, PlanContent
from wijkregistratie.plans.service import current_plans
from wijkregistratie.professionals.models import Professional, TeamMembership
from wijkregistratie.professionals.queries import still_working
from wijkregistratie.referrals.models import Referral
from wijkregistratie.signals.models import Signal, SignalAssignment
from wijkregistratie.teams.models import Team
from wijkregistratie.teams.queries import team_by_id
from wijkregistratie.worklists.schemas import (
    Caseload,
    CaseloadCase,
    CaseloadSignal,
    DueItem,
    DueKind,
    DueList,
    TeamCaseload,
    TeamCaseloadRow,
)

OPEN_ACTIVITY = (ActivityStatus.planned, ActivityStatus.in_progress)


@dataclass(frozen=True)
class Due:
    """A due item with what the worker needs to announce it: a key that names it for good."""

    item: DueItem
    key: str
    activity: tuple[int, int] | None = None


async def due_list(session: AsyncSession, principal: Principal, team_id: uuid.UUID, within_days: int) -> DueList:
    team = await team_by_id(session, team_id)
    on = today()
    found = await due_in_team(session, team, on + timedelta(days=within_days), principal)
    items = sorted((d.item for d in found), key=lambda i: (i.due_on, i.kind, str(i.household_id)))
    note_subjects(session, *(Subject(case_id=i.case_id, household_id=i.household_id) for i in items))
    return DueList(
        team_id=team.id, on=on, items=[i.model_copy(update={"days_late": (on - i.due_on).days}) for i in items]
    )


async def due_in_team(session: AsyncSession, team: Team, until: date, principal: Principal | None) -> list[Due]:
    """Everything of the team due on or before `until`; as the principal may see it, or all (the worker)."""
    on = today()
    cases_statement = select(Case).where(
        Case.team_id == team.id, Case.status != CaseStatus.closed, col(Case.erased_at).is_(None)
    )
    signals_statement = select(Signal).where(
        Signal.team_id == team.id,
        col(Signal.status).in_(UNSETTLED),
        col(Signal.first_contact_on).is_(None),
        col(Signal.erased_at).is_(None),
    )
    if principal is not None:
        cases_statement = cases_statement.where(cases_visible_to(principal))
        signals_statement = signals_statement.where(signals_visible_to(principal))
    cases = {c.id: c for c in (await session.exec(cases_statement)).all()}
    leads = await _leads(session, cases)
    found: list[Due] = []
    for case_id, plan in (await current_plans(session, list(cases))).items():
        found += _plan_items(cases[case_id], plan, leads.get(case_id), until)
    for signal in (await session.exec(signals_statement)).all():
        deadline = today(signal.registered_at) + timedelta(days=team.first_contact_target_days)
        if deadline <= until:
            assigned = await _first_assigned(session, signal.id)
            found.append(
                Due(
                    DueItem(
                        kind=DueKind.first_contact_due,
                        due_on=deadline,
                        days_late=(on - deadline).days,
                        what="First contact with the household",
                        signal_id=signal.id,
                        household_id=signal.household_id,
                        professional_id=assigned,
                    ),
                    key=f"signal:{signal.id}",
                )
            )
    found += await _unanswered_referrals(session, team, until, principal)
    names = await household_names(session, {d.item.household_id for d in found})
    for due in found:
        due.item.household_name = names[due.item.household_id].surname
    return found


def _plan_items(case: Case, plan: PlanVersion, lead: uuid.UUID | None, until: date) -> list[Due]:
    content = PlanContent.model_validate(plan.content)
    on = today()
    found = []
    if content.evaluation_date and content.evaluation_date <= until:
        found.append(
            Due(
                DueItem(
                    kind=DueKind.evaluation_due,
                    due_on=content.evaluation_date,
                    days_late=(on - content.evaluation_date).days,
                    what=f"Plan evaluation (version {plan.version})",
                    case_id=case.id,
                    household_id=case.household_id,
                    professional_id=lead,
                ),
                key=f"case:{case.id}",
            )
        )
    for g, goal in enumerate(content.goals):
        for a, activity in enumerate(goal.activities):
            if activity.due_date is None or activity.due_date > until or activity.status not in OPEN_ACTIVITY:
                continue
            performer = activity.performer
            found.append(
                Due(
                    DueItem(
                        kind=DueKind.activity_due,
                        due_on=activity.due_date,
                        days_late=(on - activity.due_date).days,
                        what=activity.description,
                        case_id=case.id,
                        household_id=case.household_id,
                        professional_id=performer.professional_id
                        if performer.kind == PerformerKind.professional
                        else lead,
                    ),
                    key=f"case:{case.id}:goal:{g}:activity:{a}",
                    activity=(g, a),
                )
            )
    return found


async def _unanswered_referrals(
    session: AsyncSession, team: Team, until: date, principal: Principal | None
) -> list[Due]:
    open_cases = dict(
        (
            await session.exec(
                select(Case.id, Case.household_id).where(
                    Case.team_id == team.id, Case.status != CaseStatus.closed, col(Case.erased_at).is_(None)
                )
            )
        ).all()
    )
    statement = (
        select(Referral, Organisation.name)
        .join(Organisation, col(Organisation.id) == Referral.to_organisation_id)
        .where(col(Referral.case_id).in_(list(open_cases)), Referral.status == ReferralStatus.requested)
    )
    if principal is not None:  # the receiver sees it too, without seeing the case
        statement = statement.where(referrals_visible_to(principal))
    on = today()
    found = []
    for referral, receiver in (await session.exec(statement)).all():
        household_id = open_cases[referral.case_id]
        due_on = today(referral.created_at) + timedelta(days=team.referral_answer_days)
        if due_on <= until:
            found.append(
                Due(
                    DueItem(
                        kind=DueKind.referral_unanswered,
                        due_on=due_on,
                        days_late=(on - due_on).days,
                        what=f"Referral to {receiver} without an answer",
                        case_id=referral.case_id,
                        referral_id=referral.id,
                        household_id=household_id,
                    ),
                    key=f"referral:{referral.id}",
                )
            )
    return found


async def _leads(session: AsyncSession, cases: dict[uuid.UUID, Case]) -> dict[uuid.UUID, uuid.UUID]:
    statement = select(LeadAssignment.case_id, LeadAssignment.professional_id).where(
        col(LeadAssignment.case_id).in_(list(cases)), col(LeadAssignment.ended_at).is_(None)
    )
    return dict((await session.exec(statement)).all())


async def _first_assigned(session: AsyncSession, signal_id: uuid.UUID) -> uuid.UUID | None:
    statement = (
        select(SignalAssignment.professional_id)
        .where(SignalAssignment.signal_id == signal_id)
        .order_by(col(SignalAssignment.assigned_at))
    )
    return (await session.exec(statement)).first()


async def caseload(session: AsyncSession, principal: Principal, professional_id: uuid.UUID) -> Caseload:
    """The open cases a professional leads and the signals in triage they took up, as the caller may see
    them: for the professional's own organisation and the coordinators of the teams they work in."""
    professional = await session.get(Professional, professional_id)
    if professional is None:
        raise NotFound("No professional with this id exists.")
    teams = (
        await session.exec(select(TeamMembership.team_id).where(TeamMembership.professional_id == professional.id))
    ).all()
    if principal.organisation_id != professional.organisation_id and not any(
        is_coordinator(principal, t) for t in teams
    ):
        raise Forbidden("A caseload is for the professional's own organisation and the coordinators of their teams.")
    led = (
        await session.exec(
            select(Case, LeadAssignment.started_at)
            .join(LeadAssignment, col(LeadAssignment.case_id) == Case.id)
            .where(
                LeadAssignment.professional_id == professional.id,
                col(LeadAssignment.ended_at).is_(None),
                Case.status != CaseStatus.closed,
                cases_visible_to(principal),
            )
            .order_by(col(LeadAssignment.started_at), col(Case.id))
        )
    ).all()
    taken_up = (
        await session.exec(
            select(Signal)
            .join(SignalAssignment, col(SignalAssignment.signal_id) == Signal.id)
            .where(
                SignalAssignment.professional_id == professional.id,
                col(Signal.status).in_(UNSETTLED),
                signals_visible_to(principal),
            )
            .order_by(col(Signal.registered_at), col(Signal.id))
        )
    ).all()
    names = await household_names(session, {c.household_id for c, _ in led} | {s.household_id for s in taken_up})
    note_subjects(
        session,
        *(Subject(case_id=c.id, household_id=c.household_id) for c, _ in led),
        *(Subject(household_id=s.household_id) for s in taken_up),
    )
    plans = await current_plans(session, [c.id for c, _ in led])
    on = today()
    return Caseload(
        professional_id=professional.id,
        name=professional.name,
        organisation_id=professional.organisation_id,
        cases=[
            CaseloadCase(
                case_id=case.id,
                household_id=case.household_id,
                household_name=names[case.household_id].surname,
                address_line=names[case.household_id].address_line,
                team_id=case.team_id,
                status=CaseStatus(case.status),
                lead_since=since,
                next_evaluation_on=_content(plans.get(case.id)).evaluation_date,
                activities_overdue=_activities_overdue(_content(plans.get(case.id)), on),
            )
            for case, since in led
        ],
        signals=[
            CaseloadSignal.model_validate(
                signal.model_dump()
                | {
                    "signal_id": signal.id,
                    "household_name": names[signal.household_id].surname,
                    "address_line": names[signal.household_id].address_line,
                }
            )
            for signal in taken_up
        ],
    )


async def team_caseload(session: AsyncSession, principal: Principal, team_id: uuid.UUID) -> TeamCaseload:
    """For the coordinator: per professional of the team, the cases they lead, the signals they took up and
    the evaluations that have come due — counts only."""
    require_coordinator(principal, team_id, "see its caseload")
    await team_by_id(session, team_id)
    members: Sequence[tuple[Professional, Organisation]] = (
        await session.exec(
            select(Professional, Organisation)
            .join(TeamMembership, col(TeamMembership.professional_id) == Professional.id)
            .join(Organisation, col(Organisation.id) == Professional.organisation_id)
            .where(TeamMembership.team_id == team_id)
        )
    ).all()
    led = (
        await session.exec(
            select(LeadAssignment.professional_id, Case.id)
            .join(Case, col(Case.id) == LeadAssignment.case_id)
            .where(
                Case.team_id == team_id,
                Case.status != CaseStatus.closed,
                col(Case.erased_at).is_(None),
                col(LeadAssignment.ended_at).is_(None),
            )
        )
    ).all()
    plans = await current_plans(session, [case_id for _, case_id in led])
    on = today()
    evaluations_due: dict[uuid.UUID, int] = {}
    cases_led: dict[uuid.UUID, int] = {}
    for professional_id, case_id in led:
        cases_led[professional_id] = cases_led.get(professional_id, 0) + 1
        evaluation = _content(plans.get(case_id)).evaluation_date
        if evaluation is not None and evaluation <= on:
            evaluations_due[professional_id] = evaluations_due.get(professional_id, 0) + 1
    in_triage = dict(
        (
            await session.exec(
                select(SignalAssignment.professional_id, func.count())
                .join(Signal, col(Signal.id) == SignalAssignment.signal_id)
                .where(Signal.team_id == team_id, col(Signal.status).in_(UNSETTLED))
                .group_by(col(SignalAssignment.professional_id))
            )
        ).all()
    )
    working = set(
        (
            await session.exec(
                select(Professional.id).where(col(Professional.id).in_([p.id for p, _ in members]), still_working())
            )
        ).all()
    )
    rows = [
        TeamCaseloadRow(
            professional_id=professional.id,
            name=professional.name,
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            cases_led=cases_led.get(professional.id, 0),
            signals_in_triage=int(in_triage.get(professional.id, 0)),
            evaluations_due=evaluations_due.get(professional.id, 0),
            has_left=professional.id not in working,
        )
        for professional, organisation in members
    ]
    rows.sort(key=lambda r: (-(r.cases_led + r.signals_in_triage), r.name))
    return TeamCaseload(team_id=team_id, professionals=rows)


def _content(plan: PlanVersion | None) -> PlanContent:
    return PlanContent.model_validate(plan.content) if plan else PlanContent()


def _activities_overdue(content: PlanContent, on: date) -> int:
    return sum(
        1
        for goal in content.goals
        for activity in goal.activities
        if activity.due_date is not None and activity.due_date < on and activity.status in OPEN_ACTIVITY
    )
