"""Matches: when an organisation comes to a household another is already helping, both are told.

The model is the Verwijsindex (Jeugdwet §7.1): a match says *that* another organisation is involved
and whom to call, never why; both sides are told, and the coordinator sees whether they made contact.
"""

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import sees_match_signal
from wijkregistratie.access.visibility import matches_visible_to, visible_match
from wijkregistratie.cases.models import Case
from wijkregistratie.cases.queries import involved_organisations
from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import MatchTrigger
from wijkregistratie.core.errors import Conflict
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.route_facts import Subject
from wijkregistratie.core.security import Principal
from wijkregistratie.matches.models import Match
from wijkregistratie.matches.schemas import MatchParty, MatchRead
from wijkregistratie.organisations.models import Organisation


async def record_matches(
    session: AsyncSession,
    case: Case,
    newcomer_organisation_id: uuid.UUID,
    trigger: MatchTrigger,
    signal_id: uuid.UUID | None = None,
) -> None:
    """A match with every organisation currently involved in the case, other than the newcomer."""
    for counterpart in await involved_organisations(session, case.id) - {newcomer_organisation_id}:
        session.add(
            Match(
                household_id=case.household_id,
                case_id=case.id,
                team_id=case.team_id,
                organisation_id=newcomer_organisation_id,
                counterpart_organisation_id=counterpart,
                trigger=trigger,
                signal_id=signal_id,
            )
        )
    await session.flush()


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
    return [await _read(session, principal, m) for m in rows], next_cursor


async def record_contact(session: AsyncSession, principal: Principal, match_id: uuid.UUID) -> MatchRead:
    match = await visible_match(session, principal, match_id)
    if match.contact_recorded_at is not None:
        raise Conflict("Contact for this match was already recorded.")
    match.contact_recorded_at = utcnow()
    match.contact_recorded_by_organisation_id = principal.organisation_id
    session.add(match)
    await session.flush()
    return await _read(session, principal, match)


async def _read(session: AsyncSession, principal: Principal, match: Match) -> MatchRead:
    organisation = (await session.exec(select(Organisation).where(Organisation.id == match.organisation_id))).one()
    counterpart = (
        await session.exec(select(Organisation).where(Organisation.id == match.counterpart_organisation_id))
    ).one()
    return MatchRead(
        id=match.id,
        household_id=match.household_id,
        trigger=MatchTrigger(match.trigger),
        signal_id=match.signal_id if sees_match_signal(principal, match) else None,
        organisation=_party(organisation),
        counterpart=_party(counterpart),
        created_at=match.created_at,
        contact_recorded_at=match.contact_recorded_at,
        contact_recorded_by_organisation_id=match.contact_recorded_by_organisation_id,
    )


def _party(organisation: Organisation) -> MatchParty:
    return MatchParty(
        organisation_id=organisation.id,
        name=organisation.name,
        contact_name=organisation.contact_name,
        contact_phone=organisation.contact_phone,
        contact_email=organisation.contact_email,
    )
