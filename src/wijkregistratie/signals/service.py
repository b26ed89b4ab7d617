import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import may_register_in
from wijkregistratie.access.visibility import signals_visible_to, visible_household, visible_signal
from wijkregistratie.cases.service import already_known
from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.codes import MatchRelation, MatchTrigger, SignalStatus
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.route_facts import Subject
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import signal_event
from wijkregistratie.households import service as households
from wijkregistratie.households.models import Household
from wijkregistratie.matches.service import counterparts, match_reads, record_matches
from wijkregistratie.signals.models import Signal
from wijkregistratie.signals.queries import signal_reads
from wijkregistratie.signals.schemas import HouseholdReference, SignalCreate, SignalRead, SignalRegistered
from wijkregistratie.teams.models import Team
from wijkregistratie.teams.service import teams_serving


async def register_signal(
    session: AsyncSession, vault: BsnVault, principal: Principal, data: SignalCreate
) -> SignalRegistered:
    """Register a concern about a household for a team the caller works in.

    The answer is the same whether the household was known or not, but for `alreadyKnown`: that another
    organisation helps it and whom to call. Registering gives sight of the signal and that answer only,
    and the look is logged against the household.
    """
    household, known_before = await _resolve_household(session, vault, principal, data.household)
    team = await _registration_team(session, principal, data.team_id, household)
    signal = Signal(
        household_id=household.id,
        team_id=team.id,
        reporting_organisation_id=principal.organisation_id,
        registered_by_professional_id=principal.actor_professional_id,
        source=data.source,
        life_domains=[d.value for d in data.life_domains],
        description=data.description,
        urgency=data.urgency,
        resident_aware=data.resident_aware,
        reporter=data.reporter.model_dump(mode="json") if data.reporter else None,
        buurt_code=household.buurt_code,
    )
    session.add(signal)
    await signal_event(
        session,
        EventType.signal_registered,
        signal,
        principal,
        {
            "householdId": household.id,
            "teamId": team.id,
            "source": signal.source,
            "lifeDomains": signal.life_domains,
            "urgency": signal.urgency,
        },
    )
    if known_before and data.household.members:
        await households.add_reported_members(session, vault, principal, household, data.household.members, signal.id)
    around = [c for c in await counterparts(session, household.id, team) if c.signal_id != signal.id]
    former = next((c for c in around if c.relation == MatchRelation.former_lead), None)
    signal.former_lead_professional_id = former.professional_id if former else None
    matches = await record_matches(
        session, household.id, team, principal.organisation_id, MatchTrigger.signal, signal.id, found=around
    )
    note_subjects(session, Subject(household_id=household.id))
    known = await already_known(session, household.id)
    known.matches = await match_reads(session, principal, matches)
    known.known = known.known or bool(matches)
    return SignalRegistered.model_validate(
        (await signal_reads(session, [signal]))[0].model_dump() | {"already_known": known}
    )


async def _resolve_household(
    session: AsyncSession, vault: BsnVault, principal: Principal, reference: HouseholdReference
) -> tuple[Household, bool]:
    """The household a signal concerns. By id only one the caller may see; by BSN or address the household
    the record knows, or a new one: the caller is not told which, so a registration is no lookup."""
    if reference.id is not None:
        try:
            return await visible_household(session, principal, reference.id), True
        except NotFound as exc:
            raise InvalidInput.field("household.id", "no household with this id is known to you") from exc
    address = reference.address
    if address is None:
        # Whether a BSN is known must not decide the answer: a BSN comes with the address and members.
        raise InvalidInput.field("household.address", "give the address and members with a BSN, or the household id")
    if reference.bsn is not None and not any(m.bsn == reference.bsn for m in reference.members):
        raise InvalidInput.field("household.members", "include the person whose BSN is given")
    await households.serialise_registration(session, vault, address, reference.members)
    for bsn in [m.bsn for m in reference.members if m.bsn]:
        found = await households.find_by_bsn(session, vault, bsn)
        if found:
            return found, True
    at_address = await households.households_at(
        session, address.postcode, address.house_number, address.house_number_addition
    )
    found = await households.matching(session, at_address, reference.members)
    if found:
        return found, True
    created = await households.create_household(
        session, vault, principal, address, reference.members, reference.phone, reference.email
    )
    return created, False


async def _registration_team(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID | None, household: Household
) -> Team:
    """The team named, or the team serving the household's neighbourhood: one the caller works in."""
    if team_id is not None:
        team = await session.get(Team, team_id)
        if team is None or not await may_register_in(session, principal, team, household.buurt_code):
            raise InvalidInput.field(
                "teamId", "not a team your organisation takes part in whose area holds the address"
            )
        return team
    for team in await teams_serving(session, household.buurt_code) if household.buurt_code else []:
        if await may_register_in(session, principal, team, household.buurt_code):
            return team
    raise InvalidInput.field("teamId", "your organisation takes part in no team serving this address")


async def get_signal(session: AsyncSession, principal: Principal, signal_id: uuid.UUID) -> SignalRead:
    return (await signal_reads(session, [await visible_signal(session, principal, signal_id)]))[0]


async def list_signals(
    session: AsyncSession,
    principal: Principal,
    status: SignalStatus | None,
    team_id: uuid.UUID | None,
    household_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[SignalRead], str | None]:
    statement = select(Signal).where(signals_visible_to(principal))
    if status:
        statement = statement.where(Signal.status == status)
    if team_id:
        statement = statement.where(Signal.team_id == team_id)
    if household_id:
        statement = statement.where(Signal.household_id == household_id)
    rows, next_cursor = await paginate(session, statement, Signal.registered_at, Signal.id, cursor, limit)
    return await signal_reads(session, rows), next_cursor
