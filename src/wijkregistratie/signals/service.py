import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.visibility import signals_visible_to, visible_household, visible_signal
from wijkregistratie.cases.queries import open_case_of
from wijkregistratie.cases.service import already_known
from wijkregistratie.core.codes import MatchTrigger, SignalStatus
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import signal_event
from wijkregistratie.households import service as households
from wijkregistratie.households.models import Household
from wijkregistratie.matches.service import record_matches
from wijkregistratie.signals.models import Signal
from wijkregistratie.signals.queries import signal_reads
from wijkregistratie.signals.schemas import HouseholdReference, SignalCreate, SignalRead, SignalRegistered
from wijkregistratie.teams.models import Team
from wijkregistratie.teams.service import team_for_area


async def register_signal(
    session: AsyncSession, vault: BsnVault, principal: Principal, data: SignalCreate
) -> SignalRegistered:
    household, created = await _resolve_household(session, vault, principal, data.household)
    team = await _resolve_team(session, data.team_id, household)
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
    open_case = await open_case_of(session, household.id)
    if open_case is not None:
        await record_matches(session, open_case, principal.organisation_id, MatchTrigger.signal, signal.id)
    return SignalRegistered.model_validate(
        signal.model_dump()
        | {"household_created": created, "already_known": await already_known(session, household.id)}
    )


async def _resolve_household(
    session: AsyncSession, vault: BsnVault, principal: Principal, reference: HouseholdReference
) -> tuple[Household, bool]:
    if reference.id is not None:
        try:
            return await visible_household(session, principal, reference.id), False
        except NotFound as exc:
            raise InvalidInput.field("household.id", "no household with this id is known to you") from exc
    if reference.bsn is not None:
        found = await households.find_by_bsn(session, vault, reference.bsn)
        if found:
            return found, False
        if reference.address is None:
            raise InvalidInput.field(
                "household.address",
                "no household with this BSN is known; give the address and members to register it",
            )
        if not any(m.bsn == reference.bsn for m in reference.members):
            raise InvalidInput.field("household.members", "include the person whose BSN is given")
    address = reference.address
    if address is None:
        raise InvalidInput.field("household", "name the household by id, bsn or address")
    found = await households.find_by_address(
        session, address.postcode, address.house_number, address.house_number_addition
    )
    if found:
        return found, False
    if not reference.members:
        raise InvalidInput.field("household.members", "a new household needs at least one member")
    household = await households.create_household(
        session, vault, principal, address, reference.members, reference.phone, reference.email
    )
    return household, True


async def _resolve_team(session: AsyncSession, team_id: uuid.UUID | None, household: Household) -> Team:
    if team_id is not None:
        team = await session.get(Team, team_id)
        if team is None:
            raise InvalidInput.field("teamId", "unknown team")
        return team
    team = await team_for_area(session, household.buurt_code) if household.buurt_code else None
    if team is None:
        raise InvalidInput.field("teamId", "no team serves the household's neighbourhood; give a teamId")
    return team


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
