import uuid
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.identifiers import area_codes_cover
from wijkregistratie.core.pagination import paginate
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import directory_event
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.teams.models import Team, TeamOrganisation
from wijkregistratie.teams.schemas import TeamCreate, TeamRead


async def create_team(session: AsyncSession, data: TeamCreate) -> TeamRead:
    organisation_ids = list(dict.fromkeys(data.organisation_ids))
    if organisation_ids:
        found = set(
            (await session.exec(select(Organisation.id).where(col(Organisation.id).in_(organisation_ids)))).all()
        )
        unknown = [str(i) for i in organisation_ids if i not in found]
        if unknown:
            raise InvalidInput.field("organisationIds", f"unknown organisation {unknown[0]}")
    team = Team(**data.model_dump(exclude={"organisation_ids"}))
    session.add(team)
    await session.flush()
    session.add_all([TeamOrganisation(team_id=team.id, organisation_id=o) for o in organisation_ids])
    announced = {
        "teamId": team.id,
        "name": team.name,
        "areaCodes": team.area_codes,
        "organisationIds": organisation_ids,
    }
    await directory_event(session, EventType.team_registered, announced)
    return _read(team, organisation_ids)


async def get_team(session: AsyncSession, team_id: uuid.UUID) -> TeamRead:
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFound("No team with this id exists.")
    return _read(team, await _organisation_ids(session, team.id))


async def list_teams(
    session: AsyncSession, municipality_code: str | None, cursor: str | None, limit: int
) -> tuple[list[TeamRead], str | None]:
    statement = select(Team)
    if municipality_code:
        statement = statement.where(Team.municipality_code == municipality_code)
    teams, next_cursor = await paginate(session, statement, Team.created_at, Team.id, cursor, limit)
    return [_read(t, await _organisation_ids(session, t.id)) for t in teams], next_cursor


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


async def _organisation_ids(session: AsyncSession, team_id: uuid.UUID) -> list[uuid.UUID]:
    statement = select(TeamOrganisation.organisation_id).where(TeamOrganisation.team_id == team_id)
    return list((await session.exec(statement)).all())


def _read(team: Team, organisation_ids: list[uuid.UUID]) -> TeamRead:
    return TeamRead.model_validate(team.model_dump() | {"organisation_ids": organisation_ids})
