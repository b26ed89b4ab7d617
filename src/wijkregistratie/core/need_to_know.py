"""Need to know: the one place that decides what a caller may see and change.

An organisation sees a case while it is involved in it, the signals it registered, and the
households behind those; the coordinator of a team sees the team's signals and cases. Everything
else is answered as if it did not exist (404), so not even existence leaks. Services load every
resource addressed by id through the functions here, and filter every list with them.
"""

import uuid
from datetime import date
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from wijkregistratie.cases.models import Case, Involvement, LeadAssignment
from wijkregistratie.core.codes import JournalVisibility
from wijkregistratie.core.errors import Forbidden, NotFound
from wijkregistratie.core.security import Principal
from wijkregistratie.households.models import Household
from wijkregistratie.journal.models import JournalEntry
from wijkregistratie.matches.models import Match
from wijkregistratie.professionals.models import Professional
from wijkregistratie.referrals.models import Referral
from wijkregistratie.signals.models import Signal, SignalAssignment


class CaseAction(StrEnum):
    change_record = "change the record of"
    assign_lead = "assign the lead professional of"
    close = "close"


# The conditions are correlated EXISTS rather than IN (subquery): beside an OR, PostgreSQL can then look
# each candidate up in an index instead of materialising every case an organisation was ever involved in.


def _involved(organisation_id: uuid.UUID) -> ColumnElement[bool]:
    return (
        select(Involvement.id)
        .where(
            Involvement.case_id == Case.id,
            Involvement.organisation_id == organisation_id,
            or_(col(Involvement.until).is_(None), col(Involvement.until) >= date.today()),
        )
        .exists()
    )


def cases_visible_to(principal: Principal) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [_involved(principal.organisation_id)]
    if principal.coordinated_team_ids:
        conditions.append(col(Case.team_id).in_(principal.coordinated_team_ids))
    # An erased file stays only as a row the figures count; nobody sees it any more.
    return and_(col(Case.erased_at).is_(None), or_(*conditions))


def signals_visible_to(principal: Principal) -> ColumnElement[bool]:
    """The signals an organisation registered, was forwarded, or whose professional was assigned to take it
    up; for a coordinator also the team's."""
    assigned = (
        select(SignalAssignment.signal_id)
        .join(Professional, col(Professional.id) == SignalAssignment.professional_id)
        .where(SignalAssignment.signal_id == Signal.id, Professional.organisation_id == principal.organisation_id)
        .exists()
    )
    conditions: list[ColumnElement[bool]] = [
        col(Signal.reporting_organisation_id) == principal.organisation_id,
        col(Signal.forwarded_to_organisation_id) == principal.organisation_id,
        assigned,
    ]
    if principal.coordinated_team_ids:
        conditions.append(col(Signal.team_id).in_(principal.coordinated_team_ids))
    return and_(col(Signal.erased_at).is_(None), or_(*conditions))


def households_visible_to(principal: Principal) -> ColumnElement[bool]:
    return or_(
        select(Case.id).where(Case.household_id == Household.id, cases_visible_to(principal)).exists(),
        select(Signal.id).where(Signal.household_id == Household.id, signals_visible_to(principal)).exists(),
    )


async def organisations_seeing_case(session: AsyncSession, case_id: uuid.UUID) -> set[uuid.UUID]:
    """Who is told about a change to a case: the organisations involved in it now (coordinators follow the
    team). The same rule as `cases_visible_to`, from the other side."""
    statement = select(Involvement.organisation_id).where(
        Involvement.case_id == case_id,
        or_(col(Involvement.until).is_(None), col(Involvement.until) >= date.today()),
    )
    return set((await session.exec(statement)).all())


async def organisations_seeing_signal(session: AsyncSession, signal: Signal) -> set[uuid.UUID]:
    """The same rule as `signals_visible_to`, from the other side."""
    assigned = select(Professional.organisation_id).join(
        SignalAssignment, col(SignalAssignment.professional_id) == Professional.id
    )
    organisations = set((await session.exec(assigned.where(SignalAssignment.signal_id == signal.id))).all())
    organisations.add(signal.reporting_organisation_id)
    if signal.forwarded_to_organisation_id:
        organisations.add(signal.forwarded_to_organisation_id)
    return organisations


T = TypeVar("T")


async def _first_visible(session: AsyncSession, statement: SelectOfScalar[T], what: str) -> T:
    found = (await session.exec(statement)).first()
    if found is None:
        raise NotFound(f"No {what} with this id exists, or you may not see it.")
    return found


async def visible_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Case:
    statement = select(Case).where(Case.id == case_id, cases_visible_to(principal))
    return await _first_visible(session, statement, "case")


async def visible_signal(session: AsyncSession, principal: Principal, signal_id: uuid.UUID) -> Signal:
    statement = select(Signal).where(Signal.id == signal_id, signals_visible_to(principal))
    return await _first_visible(session, statement, "signal")


async def visible_household(session: AsyncSession, principal: Principal, household_id: uuid.UUID) -> Household:
    statement = select(Household).where(Household.id == household_id, households_visible_to(principal))
    return await _first_visible(session, statement, "household")


def referrals_visible_to(principal: Principal) -> ColumnElement[bool]:
    """A referral is seen with its case, and by the organisation it was sent to."""
    return or_(
        col(Referral.to_organisation_id) == principal.organisation_id,
        select(Case.id).where(Case.id == Referral.case_id, cases_visible_to(principal)).exists(),
    )


def matches_visible_to(principal: Principal) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [
        col(Match.organisation_id) == principal.organisation_id,
        col(Match.counterpart_organisation_id) == principal.organisation_id,
    ]
    if principal.coordinated_team_ids:
        conditions.append(col(Match.team_id).in_(principal.coordinated_team_ids))
    return or_(*conditions)


def journal_entries_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Within a visible case: the caller's own entries, and those shared with all involved."""
    return or_(
        col(JournalEntry.organisation_id) == principal.organisation_id,
        col(JournalEntry.visibility) == JournalVisibility.all_involved,
    )


async def visible_referral(session: AsyncSession, principal: Principal, referral_id: uuid.UUID) -> Referral:
    statement = select(Referral).where(Referral.id == referral_id, referrals_visible_to(principal))
    return await _first_visible(session, statement, "referral")


async def visible_match(session: AsyncSession, principal: Principal, match_id: uuid.UUID) -> Match:
    statement = select(Match).where(Match.id == match_id, matches_visible_to(principal))
    return await _first_visible(session, statement, "match")


def require_coordinator(principal: Principal, team_id: uuid.UUID) -> None:
    if team_id not in principal.coordinated_team_ids:
        raise Forbidden("Only the coordinator of the team may do this.")


async def require_case_permission(session: AsyncSession, principal: Principal, case: Case, action: CaseAction) -> None:
    """Beyond seeing a case: who may steer it. The coordinator of its team always may."""
    if case.team_id in principal.coordinated_team_ids:
        return
    if action is CaseAction.change_record:
        return  # every involved organisation contributes to the record
    current_lead = (
        await session.exec(
            select(LeadAssignment).where(
                LeadAssignment.case_id == case.id,
                col(LeadAssignment.ended_at).is_(None),
            )
        )
    ).first()
    lead_organisation = current_lead.organisation_id if current_lead else None
    if action is CaseAction.assign_lead and lead_organisation in (None, principal.organisation_id):
        return  # the first lead is agreed by those involved; later, the lead hands over
    if action is CaseAction.close and lead_organisation == principal.organisation_id:
        return
    raise Forbidden(f"Only the team's coordinator or the lead organisation may {action.value} this case.")
