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

from wijkregistratie.auth.models import ApiClient
from wijkregistratie.cases.models import Case
from wijkregistratie.cases.queries import involved_organisations, is_involved
from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import CaseStatus, JournalVisibility, SignalStatus
from wijkregistratie.core.errors import Forbidden, NotFound
from wijkregistratie.core.route_facts import Subject
from wijkregistratie.core.security import Principal
from wijkregistratie.events.models import Event, EventRecipient
from wijkregistratie.households.models import Household
from wijkregistratie.journal.models import JournalEntry
from wijkregistratie.matches.models import Match
from wijkregistratie.professionals.models import Professional
from wijkregistratie.referrals.models import Referral
from wijkregistratie.signals.models import Signal, SignalAssignment
from wijkregistratie.teams.models import TeamOrganisation
from wijkregistratie.teams.queries import membership_is_current
from wijkregistratie.webhooks.models import Subscription

T = TypeVar("T")
UNSETTLED = (SignalStatus.open, SignalStatus.in_triage)


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


def signals_open_to_take_up(principal: Principal) -> ColumnElement[bool]:
    """Unsettled signals of the teams the organisation takes part in today, or coordinates: its professionals
    may take them up, and are shown only what deciding that needs (no household, description or reporter)."""
    taking_part = select(TeamOrganisation.team_id).where(
        TeamOrganisation.organisation_id == principal.organisation_id, membership_is_current()
    )
    return and_(
        col(Signal.erased_at).is_(None),
        col(Signal.status).in_(UNSETTLED),
        or_(col(Signal.team_id).in_(taking_part), *_coordinates(principal, Signal.team_id)),
    )


def households_visible_to(principal: Principal) -> ColumnElement[bool]:
    """A household's file (address, contact, members, consents) is seen with one of its cases; by the
    coordinator of a team it has a signal with; by the organisation a signal of it was forwarded to; and by
    the organisations whose professionals were sent to make first contact while the signal is in triage.
    Registering a signal does not show the household: the reporter sees its signal and the answer whether
    the household is already known, nothing more."""
    signal_sight = [
        col(Signal.forwarded_to_organisation_id) == principal.organisation_id,
        and_(col(Signal.status).in_(UNSETTLED), _assigned_to(principal.organisation_id)),
        *_coordinates(principal, Signal.team_id),
    ]
    return or_(
        select(Case.id).where(Case.household_id == Household.id, cases_visible_to(principal)).exists(),
        select(Signal.id)
        .where(Signal.household_id == Household.id, col(Signal.erased_at).is_(None), or_(*signal_sight))
        .exists(),
    )


def household_files_writable_by(principal: Principal) -> ColumnElement[bool]:
    """Who may change a household's file (add a member, record or withdraw a consent): an organisation
    involved in its open case, or the coordinator of a team it has an open case or a signal in triage with."""
    open_case = and_(
        col(Case.household_id) == Household.id, col(Case.status) != CaseStatus.closed, col(Case.erased_at).is_(None)
    )
    conditions = [select(Case.id).where(open_case, is_involved(principal.organisation_id)).exists()]
    if principal.coordinated_team_ids:
        teams = principal.coordinated_team_ids
        conditions += [
            select(Case.id).where(open_case, col(Case.team_id).in_(teams)).exists(),
            select(Signal.id)
            .where(
                Signal.household_id == Household.id, col(Signal.status).in_(UNSETTLED), col(Signal.team_id).in_(teams)
            )
            .exists(),
        ]
    return or_(*conditions)


def referrals_visible_to(principal: Principal) -> ColumnElement[bool]:
    """A referral is seen with its case, and by the organisation it was sent to."""
    return or_(
        col(Referral.to_organisation_id) == principal.organisation_id,
        select(Case.id).where(Case.id == Referral.case_id, cases_visible_to(principal)).exists(),
    )


def matches_visible_to(principal: Principal) -> ColumnElement[bool]:
    """A match is seen by its two organisations and the team's coordinator until it expires."""
    return and_(
        col(Match.expires_at) > utcnow(),
        or_(
            col(Match.organisation_id) == principal.organisation_id,
            col(Match.counterpart_organisation_id) == principal.organisation_id,
            *_coordinates(principal, Match.team_id),
        ),
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


def history_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Within the history of a case the caller sees now: the events addressed to it, and those the whole
    case was told (they went to the team's coordinators too), also from before it joined. What went to
    one organisation only — its own journal note — stays its own."""
    return or_(events_visible_to(principal), col(Event.team_id).is_not(None))


async def _first_visible(session: AsyncSession, statement: SelectOfScalar[T], what: str) -> T:
    found = (await session.exec(statement)).first()
    if found is None:
        raise NotFound(f"No {what} with this id exists, or you may not see it.")
    return found


# The loaders below find one thing by id, as the caller may see it, and note whose file it is for the
# access log; lists note what they show with `note_subjects` themselves.


async def visible_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Case:
    statement = select(Case).where(Case.id == case_id, cases_visible_to(principal))
    case = await _first_visible(session, statement, "case")
    note_subjects(session, Subject(case_id=case.id, household_id=case.household_id))
    return case


async def visible_signal(session: AsyncSession, principal: Principal, signal_id: uuid.UUID) -> Signal:
    statement = select(Signal).where(Signal.id == signal_id, signals_visible_to(principal))
    signal = await _first_visible(session, statement, "signal")
    note_subjects(session, Subject(case_id=signal.case_id, household_id=signal.household_id))
    return signal


async def signal_to_take_up(session: AsyncSession, principal: Principal, signal_id: uuid.UUID) -> Signal:
    statement = select(Signal).where(Signal.id == signal_id, signals_open_to_take_up(principal))
    signal = await _first_visible(session, statement, "open signal of a team you take part in")
    note_subjects(session, Subject(household_id=signal.household_id))
    return signal


async def visible_household(session: AsyncSession, principal: Principal, household_id: uuid.UUID) -> Household:
    statement = select(Household).where(Household.id == household_id, households_visible_to(principal))
    household = await _first_visible(session, statement, "household")
    note_subjects(session, Subject(household_id=household.id))
    return household


async def writable_household(session: AsyncSession, principal: Principal, household_id: uuid.UUID) -> Household:
    """A household whose file the caller may change; one it may only see answers 403, others 404."""
    household = await visible_household(session, principal, household_id)
    statement = select(Household.id).where(Household.id == household.id, household_files_writable_by(principal))
    if (await session.exec(statement)).first() is None:
        raise Forbidden(
            "Only an organisation involved in the household's open case, or the team's coordinator, changes its file."
        )
    return household


async def household_for_new_case(
    session: AsyncSession, principal: Principal, household_id: uuid.UUID, signals: list[Signal]
) -> Household:
    """The household a case is opened for: one the caller sees, or one its own signals (still in triage)
    concern — the organisation takes its signal up itself, on the lawful basis it states, and becomes
    involved. A signal of another does not open a household's file."""
    try:
        return await visible_household(session, principal, household_id)
    except NotFound:
        household = await session.get(Household, household_id)
        own = [s for s in signals if s.reporting_organisation_id == principal.organisation_id]
        if household is None or household.erased_at is not None or not signals or len(own) != len(signals):
            raise
        note_subjects(session, Subject(household_id=household.id))
        return household


async def visible_referral(session: AsyncSession, principal: Principal, referral_id: uuid.UUID) -> Referral:
    statement = select(Referral).where(Referral.id == referral_id, referrals_visible_to(principal))
    referral = await _first_visible(session, statement, "referral")
    note_subjects(session, Subject(case_id=referral.case_id))
    return referral


async def visible_match(session: AsyncSession, principal: Principal, match_id: uuid.UUID) -> Match:
    statement = select(Match).where(Match.id == match_id, matches_visible_to(principal))
    match = await _first_visible(session, statement, "match")
    note_subjects(session, Subject(case_id=match.case_id, household_id=match.household_id))
    return match


def subscriptions_visible_to(principal: Principal) -> ColumnElement[bool]:
    """A webhook subscription is its organisation's own."""
    return col(Subscription.organisation_id) == principal.organisation_id


async def visible_subscription(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> Subscription:
    statement = select(Subscription).where(Subscription.id == subscription_id, subscriptions_visible_to(principal))
    return await _first_visible(session, statement, "webhook subscription")


async def subscription_principal(session: AsyncSession, subscription: Subscription) -> Principal | None:
    """Whom a webhook subscription reaches for: its owner as it stands now, so a coordinator that no longer
    coordinates a team gets that team's events no more, and a disabled owner gets none (None)."""
    if subscription.client_id is None:  # made before subscriptions had owners: its organisation, no teams
        return Principal(client_id="webhooks", organisation_id=subscription.organisation_id, scopes=frozenset())
    statement = select(ApiClient).where(ApiClient.client_id == subscription.client_id)
    owner = (await session.exec(statement)).first()
    if owner is None or not owner.active or owner.organisation_id != subscription.organisation_id:
        return None
    return Principal(
        client_id=owner.client_id,
        organisation_id=owner.organisation_id,
        scopes=frozenset(owner.scopes.split()),
        coordinated_team_ids=frozenset(uuid.UUID(t) for t in owner.coordinated_team_ids),
    )


async def may_see(session: AsyncSession, principal: Principal, subject: Subject) -> bool:
    """Whether the caller may still see what an answer about a subject showed: the case it names, or else
    the household's file or a signal of the household the caller registered."""
    if subject.case_id is not None:
        statement = select(Case.id).where(Case.id == subject.case_id, cases_visible_to(principal))
        return (await session.exec(statement)).first() is not None
    own_signal = select(Signal.id).where(Signal.household_id == Household.id, signals_visible_to(principal)).exists()
    statement = select(Household.id).where(
        Household.id == subject.household_id, or_(households_visible_to(principal), own_signal)
    )
    return (await session.exec(statement)).first() is not None


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
