"""What a caller may see, and who is told of a change.

An organisation sees a case while it is involved in it, the signals it registered, was forwarded or
whose professional was assigned to take them up, and the households behind those; the coordinator of a
team sees the team's signals and cases. Everything else is answered as if it did not exist (404).
"""

import uuid
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from wijkregistratie.cases.models import Case
from wijkregistratie.cases.queries import involved_organisations, is_involved
from wijkregistratie.core.codes import JournalVisibility
from wijkregistratie.core.errors import NotFound
from wijkregistratie.core.security import Principal
from wijkregistratie.events.models import Event, EventRecipient
from wijkregistratie.households.models import Household
from wijkregistratie.journal.models import JournalEntry
from wijkregistratie.matches.models import Match
from wijkregistratie.professionals.models import Professional
from wijkregistratie.referrals.models import Referral
from wijkregistratie.signals.models import Signal, SignalAssignment
from wijkregistratie.webhooks.models import Subscription

T = TypeVar("T")


def _coordinates(principal: Principal, team_column: object) -> list[ColumnElement[bool]]:
    return [col(team_column).in_(principal.coordinated_team_ids)] if principal.coordinated_team_ids else []


def cases_visible_to(principal: Principal) -> ColumnElement[bool]:
    # An erased file stays only as a row the figures count; nobody sees it any more.
    return and_(
        col(Case.erased_at).is_(None),
        or_(is_involved(principal.organisation_id), *_coordinates(principal, Case.team_id)),
    )


def _assigned_to(organisation_id: uuid.UUID) -> ColumnElement[bool]:
    """Correlated with `Signal`: a professional of the organisation was assigned to take it up."""
    return (
        select(SignalAssignment.signal_id)
        .join(Professional, col(Professional.id) == SignalAssignment.professional_id)
        .where(SignalAssignment.signal_id == Signal.id, Professional.organisation_id == organisation_id)
        .exists()
    )


def signals_visible_to(principal: Principal) -> ColumnElement[bool]:
    """The signals an organisation registered, was forwarded, or whose professional was assigned to take it
    up; for a coordinator also the team's."""
    return and_(
        col(Signal.erased_at).is_(None),
        or_(
            col(Signal.reporting_organisation_id) == principal.organisation_id,
            col(Signal.forwarded_to_organisation_id) == principal.organisation_id,
            _assigned_to(principal.organisation_id),
            *_coordinates(principal, Signal.team_id),
        ),
    )


def households_visible_to(principal: Principal) -> ColumnElement[bool]:
    return or_(
        select(Case.id).where(Case.household_id == Household.id, cases_visible_to(principal)).exists(),
        select(Signal.id).where(Signal.household_id == Household.id, signals_visible_to(principal)).exists(),
    )


def referrals_visible_to(principal: Principal) -> ColumnElement[bool]:
    """A referral is seen with its case, and by the organisation it was sent to."""
    return or_(
        col(Referral.to_organisation_id) == principal.organisation_id,
        select(Case.id).where(Case.id == Referral.case_id, cases_visible_to(principal)).exists(),
    )


def matches_visible_to(principal: Principal) -> ColumnElement[bool]:
    return or_(
        col(Match.organisation_id) == principal.organisation_id,
        col(Match.counterpart_organisation_id) == principal.organisation_id,
        *_coordinates(principal, Match.team_id),
    )


def journal_entries_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Within a visible case: the caller's own entries, and those shared with all involved."""
    return or_(
        col(JournalEntry.organisation_id) == principal.organisation_id,
        col(JournalEntry.visibility) == JournalVisibility.all_involved,
    )


def events_visible_to(principal: Principal) -> ColumnElement[bool]:
    """The events addressed to the caller's organisation when they happened; for a coordinator also every
    event of its teams. Feed, webhooks and adapters read through this."""
    addressed = (
        select(EventRecipient.event_sequence)
        .where(
            EventRecipient.event_sequence == Event.sequence,
            EventRecipient.organisation_id == principal.organisation_id,
        )
        .exists()
    )
    return or_(addressed, *_coordinates(principal, Event.team_id))


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


async def visible_referral(session: AsyncSession, principal: Principal, referral_id: uuid.UUID) -> Referral:
    statement = select(Referral).where(Referral.id == referral_id, referrals_visible_to(principal))
    return await _first_visible(session, statement, "referral")


async def visible_match(session: AsyncSession, principal: Principal, match_id: uuid.UUID) -> Match:
    statement = select(Match).where(Match.id == match_id, matches_visible_to(principal))
    return await _first_visible(session, statement, "match")


def subscriptions_visible_to(principal: Principal) -> ColumnElement[bool]:
    """A webhook subscription is its organisation's own."""
    return col(Subscription.organisation_id) == principal.organisation_id


async def visible_subscription(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> Subscription:
    statement = select(Subscription).where(Subscription.id == subscription_id, subscriptions_visible_to(principal))
    return await _first_visible(session, statement, "webhook subscription")


# --- who is told of a change: the same rules, from the other side -----------------------------------


async def organisations_seeing_case(session: AsyncSession, case_id: uuid.UUID) -> set[uuid.UUID]:
    """The organisations involved in the case now (coordinators follow the team)."""
    return await involved_organisations(session, case_id)


async def organisations_seeing_signal(session: AsyncSession, signal: Signal) -> set[uuid.UUID]:
    assigned = select(Professional.organisation_id).join(
        SignalAssignment, col(SignalAssignment.professional_id) == Professional.id
    )
    organisations = set((await session.exec(assigned.where(SignalAssignment.signal_id == signal.id))).all())
    organisations.add(signal.reporting_organisation_id)
    if signal.forwarded_to_organisation_id:
        organisations.add(signal.forwarded_to_organisation_id)
    return organisations
