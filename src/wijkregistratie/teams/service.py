import uuid
from collections.abc import Sequence
from datetime import date

from pydantic.alias_generators import to_camel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.clock import today
from wijkregistratie.core.errors import Conflict, InvalidInput, NotFound
from wijkregistratie.core.etag import check_if_match, new_version
from wijkregistratie.core.identifiers import area_codes_cover
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.schemas import changes_of
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import directory_event
from wijkregistratie.municipalities.service import area_lies_in, known_municipality
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.teams.models import Team, TeamOrganisation
from wijkregistratie.teams.queries import current_organisation_ids, open_membership, team_by_id
from wijkregistratie.teams.schemas import Membership, MembershipCreate, MembershipEnd, TeamCreate, TeamRead, TeamUpdate


async def create_team(session: AsyncSession, data: TeamCreate) -> TeamRead:
    await known_municipality(session, data.municipality_code)
    _check_area(data.area_codes, data.municipality_code)
    organisation_ids = list(dict.fromkeys(data.organisation_ids))
    for index, organisation_id in enumerate(organisation_ids):
        await _known_organisation(session, organisation_id, f"organisationIds[{index}]")
    team = Team(**data.model_dump(exclude={"organisation_ids"}))
    session.add(team)
    await session.flush()
    session.add_all([TeamOrganisation(team_id=team.id, organisation_id=o, since=today()) for o in organisation_ids])
    announced = {
        "teamId": team.id,
        "name": team.name,
        "municipalityCode": team.municipality_code,
        "areaCodes": team.area_codes,
        "organisationIds": organisation_ids,
    }
    await directory_event(session, EventType.team_registered, announced)
    return await _read(session, team)


async def update_team(session: AsyncSession, team_id: uuid.UUID, data: TeamUpdate, if_match: str | None) -> TeamRead:
    team = await team_by_id(session, team_id)
    check_if_match(if_match, team.version)
    changes = changes_of(data)
    if not changes:
        return await _read(session, team)
    if "area_codes" in changes:
        _check_area(changes["area_codes"], team.municipality_code)
    for name, value in changes.items():
        setattr(team, name, value)
    new_version(session, team)
    await directory_event(
        session,
        EventType.team_changed,
        {"teamId": team.id, "changed": [to_camel(n) for n in changes], "version": team.version},
    )
    return await _read(session, team)


async def join_team(session: AsyncSession, team_id: uuid.UUID, data: MembershipCreate) -> TeamOrganisation:
    """An organisation takes part in the team from a day on; one open membership at a time."""
    team = await team_by_id(session, team_id)
    await _known_organisation(session, data.organisation_id, "organisationId")
    if await open_membership(session, team.id, data.organisation_id) is not None:
        raise Conflict("The organisation already takes part in this team; end that membership first.")
    membership = TeamOrganisation(team_id=team.id, organisation_id=data.organisation_id, since=data.since or today())
    session.add(membership)
    new_version(session, team)
    await directory_event(session, EventType.team_organisation_joined, _membership_data(membership))
    return membership


async def leave_team(
    session: AsyncSession, team_id: uuid.UUID, membership_id: uuid.UUID, data: MembershipEnd
) -> TeamOrganisation:
    """Ends a membership after a day. Its history stays: who took part when is the team's record."""
    team = await team_by_id(session, team_id)
    membership = await session.get(TeamOrganisation, membership_id)
    if membership is None or membership.team_id != team.id:
        raise NotFound("No membership with this id exists in this team.")
    if membership.until is not None and membership.until < today():
        raise Conflict("This membership has already ended.")
    if data.until < membership.since:
        raise InvalidInput.field("until", f"the membership began on {membership.since}; it cannot end before")
    membership.until = data.until
    session.add(membership)
    new_version(session, team)
    await directory_event(session, EventType.team_organisation_left, _membership_data(membership))
    return membership


async def get_team(session: AsyncSession, team_id: uuid.UUID) -> TeamRead:
    return await _read(session, await team_by_id(session, team_id))


async def list_teams(
    session: AsyncSession, municipality_code: str | None, cursor: str | None, limit: int
) -> tuple[list[TeamRead], str | None]:
    statement = select(Team)
    if municipality_code:
        statement = statement.where(Team.municipality_code == municipality_code)
    teams, next_cursor = await paginate(session, statement, Team.created_at, Team.id, cursor, limit)
    return [await _read(session, t) for t in teams], next_cursor


async def teams_serving(session: AsyncSession, buurt_code: str) -> list[Team]:
    """The teams whose area holds a neighbourhood, the most specific area first."""
    teams: Sequence[Team] = (await session.exec(select(Team))).all()

    def specificity(team: Team) -> int:
        return max(len(c) for c in team.area_codes if area_codes_cover([c], buurt_code))

    return sorted((t for t in teams if area_codes_cover(t.area_codes, buurt_code)), key=specificity, reverse=True)


async def team_for_area(session: AsyncSession, buurt_code: str) -> Team | None:
    """The team serving a neighbourhood; the most specific area code wins."""
    serving = await teams_serving(session, buurt_code)
    return serving[0] if serving else None


def _check_area(area_codes: Sequence[str], municipality_code: str) -> None:
    for index, code in enumerate(area_codes):
        if not area_lies_in(code, municipality_code):
            raise InvalidInput.field(
                f"areaCodes[{index}]", f"{code} does not lie in the municipality {municipality_code}"
            )


async def _known_organisation(session: AsyncSession, organisation_id: uuid.UUID, field: str) -> None:
    if await session.get(Organisation, organisation_id) is None:
        raise InvalidInput.field(field, f"unknown organisation {organisation_id}")


def _membership_data(membership: TeamOrganisation) -> dict[str, uuid.UUID | date | None]:
    return {
        "teamId": membership.team_id,
        "membershipId": membership.id,
        "organisationId": membership.organisation_id,
        "since": membership.since,
        "until": membership.until,
    }


async def _read(session: AsyncSession, team: Team) -> TeamRead:
    await session.flush()
    memberships = (
        await session.exec(
            select(TeamOrganisation)
            .where(TeamOrganisation.team_id == team.id)
            .order_by(col(TeamOrganisation.since), col(TeamOrganisation.id))
        )
    ).all()
    return TeamRead.model_validate(
        team.model_dump()
        | {
            "organisation_ids": await current_organisation_ids(session, team.id),
            "memberships": [Membership.model_validate(m) for m in memberships],
        }
    )
