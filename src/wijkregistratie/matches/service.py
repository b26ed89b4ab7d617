"""Matches: when an organisation comes to a household another already helps or reported, both are told.

The model is the Verwijsindex (Jeugdwet §7.1): a match says *that* another organisation is involved and
whom to call, never why. It is made from the first signal — with the organisations of an open case, with
whoever reported another signal still in triage, and, for a household that comes back within the team's
period, with the lead professional of its last case — and when an organisation joins a case. Both sides
are told (`match.found`), the coordinator sees whether they made contact, and a match expires.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import sees_match_signal
from wijkregistratie.access.visibility import UNSETTLED, matches_visible_to, visible_match
from wijkregistratie.cases.models import Case, LeadAssignment
from wijkregistratie.cases.queries import current_involvements, current_lead, open_case_of
from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import CaseStatus, MatchRelation, MatchTrigger
from wijkregistratie.core.errors import Conflict
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.route_facts import Subject
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import emit
from wijkregistratie.matches.models import Match
from wijkregistratie.matches.schemas import MatchParty, MatchRead
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.professionals.models import Professional
from wijkregistratie.signals.models import Signal
from wijkregistratie.teams.models import Team


@dataclass(frozen=True)
class Counterpart:
    """An organisation already around the household, how it knows it, and whom to call there."""

    organisation_id: uuid.UUID
    relation: MatchRelation
    case_id: uuid.UUID | None = None
    signal_id: uuid.UUID | None = None
    professional_id: uuid.UUID | None = None


async def counterparts(session: AsyncSession, household_id: uuid.UUID, team: Team) -> list[Counterpart]:
    """Who is around the household now: the organisations of its open case (the lead's with the lead), the
    reporters of its signals still in triage, and — with no open case — the former lead of a case closed
    within the team's period. One per organisation, in that order."""
    case = await open_case_of(session, household_id)
    found = await case_counterparts(session, case) if case else []
    signals = await session.exec(
        select(Signal)
        .where(Signal.household_id == household_id, col(Signal.status).in_(UNSETTLED), col(Signal.erased_at).is_(None))
        .order_by(col(Signal.registered_at), col(Signal.id))
    )
    found += [
        Counterpart(
            s.reporting_organisation_id,
            MatchRelation.reported_open_signal,
            signal_id=s.id,
            professional_id=s.registered_by_professional_id,
        )
        for s in signals.all()
    ]
    if case is None:
        former = await former_lead(session, household_id, team)
        if former is not None:
            found.append(former)
    unique: dict[uuid.UUID, Counterpart] = {}
    for counterpart in found:
        unique.setdefault(counterpart.organisation_id, counterpart)
    return list(unique.values())


async def case_counterparts(session: AsyncSession, case: Case) -> list[Counterpart]:
    """The organisations involved in an open case; the lead's with the lead professional to call."""
    lead = await current_lead(session, case.id)
    return [
        Counterpart(
            organisation.id,
            MatchRelation.involved_in_open_case,
            case_id=case.id,
            professional_id=lead.professional_id if lead and lead.organisation_id == organisation.id else None,
        )
        for _, organisation in await current_involvements(session, case.id)
    ]


async def former_lead(session: AsyncSession, household_id: uuid.UUID, team: Team) -> Counterpart | None:
    """The last lead professional of the household's case closed within the team's period, if any."""
    since = utcnow() - timedelta(days=team.returning_household_days)
    statement = (
        select(LeadAssignment)
        .join(Case, col(Case.id) == LeadAssignment.case_id)
        .where(
            Case.household_id == household_id,
            Case.status == CaseStatus.closed,
            col(Case.closed_at) >= since,
            col(Case.erased_at).is_(None),
        )
        .order_by(col(Case.closed_at).desc(), col(LeadAssignment.started_at).desc())
        .limit(1)
    )
    lead = (await session.exec(statement)).first()
    if lead is None:
        return None
    return Counterpart(
        lead.organisation_id, MatchRelation.former_lead, case_id=lead.case_id, professional_id=lead.professional_id
    )


async def record_matches(
    session: AsyncSession,
    household_id: uuid.UUID,
    team: Team,
    newcomer_organisation_id: uuid.UUID,
    trigger: MatchTrigger,
    signal_id: uuid.UUID | None = None,
    found: list[Counterpart] | None = None,
) -> list[Match]:
    """A match with every organisation around the household other than the newcomer, each announced to
    both organisations and the team's coordinator."""
    if found is None:
        found = await counterparts(session, household_id, team)
    now = utcnow()
    matches = [
        Match(
            household_id=household_id,
            case_id=c.case_id,
            team_id=team.id,
            organisation_id=newcomer_organisation_id,
            counterpart_organisation_id=c.organisation_id,
            trigger=trigger,
            relation=c.relation,
            signal_id=signal_id,
            counterpart_signal_id=c.signal_id,
            counterpart_professional_id=c.professional_id,
            created_at=now,
            expires_at=now + timedelta(days=team.match_valid_days),
        )
        for c in found
        if c.organisation_id != newcomer_organisation_id
    ]
    session.add_all(matches)
    await session.flush()
    for match in matches:
        _announce(session, EventType.match_found, match, {"relation": match.relation})
    return matches


def _announce(session: AsyncSession, type_: EventType, match: Match, data: dict[str, object]) -> None:
    # Which signal made the match is not in the event: the counterpart is told only who to call.
    emit(
        session,
        type_,
        {"matchId": match.id, "householdId": match.household_id} | data,
        recipients={match.organisation_id, match.counterpart_organisation_id},
        team_id=match.team_id,
        subject=f"matches/{match.id}",
    )


async def list_matches(
    session: AsyncSession,
    principal: Principal,
    contact_recorded: bool | None,
    household_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[MatchRead], str | None]:
    statement = select(Match).where(matches_visible_to(principal))
    if household_id:
        statement = statement.where(Match.household_id == household_id)
    if contact_recorded is not None:
        recorded = col(Match.contact_recorded_at).is_not(None)
        statement = statement.where(recorded if contact_recorded else ~recorded)
    rows, next_cursor = await paginate(session, statement, Match.created_at, Match.id, cursor, limit)
    note_subjects(session, *(Subject(case_id=m.case_id, household_id=m.household_id) for m in rows))
    return await match_reads(session, principal, rows), next_cursor


async def record_contact(session: AsyncSession, principal: Principal, match_id: uuid.UUID) -> MatchRead:
    match = await visible_match(session, principal, match_id)
    if match.contact_recorded_at is not None:
        raise Conflict("Contact for this match was already recorded.")
    match.contact_recorded_at = utcnow()
    match.contact_recorded_by_organisation_id = principal.organisation_id
    session.add(match)
    await session.flush()
    _announce(session, EventType.match_contact_recorded, match, {"recordedByOrganisationId": principal.organisation_id})
    return (await match_reads(session, principal, [match]))[0]


async def match_reads(session: AsyncSession, principal: Principal, matches: Sequence[Match]) -> list[MatchRead]:
    """Matches as the caller may see them, with the organisations and professionals named in one query each."""
    organisation_ids = {m.organisation_id for m in matches} | {m.counterpart_organisation_id for m in matches}
    organisations = {
        o.id: o
        for o in (await session.exec(select(Organisation).where(col(Organisation.id).in_(organisation_ids)))).all()
    }
    professional_ids = {m.counterpart_professional_id for m in matches if m.counterpart_professional_id}
    professionals = {
        p.id: p
        for p in (await session.exec(select(Professional).where(col(Professional.id).in_(professional_ids)))).all()
    }
    return [
        MatchRead(
            id=match.id,
            household_id=match.household_id,
            trigger=MatchTrigger(match.trigger),
            relation=MatchRelation(match.relation),
            signal_id=match.signal_id if sees_match_signal(principal, match) else None,
            organisation=_party(organisations[match.organisation_id]),
            counterpart=_party(
                organisations[match.counterpart_organisation_id],
                professionals.get(match.counterpart_professional_id) if match.counterpart_professional_id else None,
            ),
            created_at=match.created_at,
            expires_at=match.expires_at,
            contact_recorded_at=match.contact_recorded_at,
            contact_recorded_by_organisation_id=match.contact_recorded_by_organisation_id,
        )
        for match in matches
    ]


def _party(organisation: Organisation, professional: Professional | None = None) -> MatchParty:
    """Whom to call: the professional where one is known, else the organisation's own contact."""
    return MatchParty(
        organisation_id=organisation.id,
        name=organisation.name,
        professional_id=professional.id if professional else None,
        contact_name=professional.name if professional else organisation.contact_name,
        contact_phone=(professional.phone if professional else None) or organisation.contact_phone,
        contact_email=(professional.email if professional else None) or organisation.contact_email,
    )
