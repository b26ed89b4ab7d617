"""Who takes part in a team, asked the same way by need-to-know, registration and the team's own pages."""

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.clock import today
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.teams.models import Team, TeamOrganisation


async def team_by_id(session: AsyncSession, team_id: uuid.UUID) -> Team:
    """The team named in an address; 404 when there is none (teams are the directory, readable by all)."""
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFound("No team with this id exists.")
    return team


def membership_is_current(on: date | None = None) -> ColumnElement[bool]:
    """A membership counts from its first day (`since`) until and including its last (`until`), on the
    Dutch calendar; without `until` it has no end yet."""
    day = on or today()
    return and_(
        col(TeamOrganisation.since) <= day,
        or_(col(TeamOrganisation.until).is_(None), col(TeamOrganisation.until) >= day),
    )


async def current_membership(
    session: AsyncSession, team_id: uuid.UUID, organisation_id: uuid.UUID
) -> TeamOrganisation | None:
    return await _membership(session, team_id, organisation_id, membership_is_current())


async def open_membership(
    session: AsyncSession, team_id: uuid.UUID, organisation_id: uuid.UUID
) -> TeamOrganisation | None:
    """The membership that has not ended yet (current or starting later): an organisation holds one at a time."""
    not_ended = or_(col(TeamOrganisation.until).is_(None), col(TeamOrganisation.until) >= today())
    return await _membership(session, team_id, organisation_id, not_ended)


async def _membership(
    session: AsyncSession, team_id: uuid.UUID, organisation_id: uuid.UUID, condition: ColumnElement[bool]
) -> TeamOrganisation | None:
    statement = select(TeamOrganisation).where(
        TeamOrganisation.team_id == team_id, TeamOrganisation.organisation_id == organisation_id, condition
    )
    return (await session.exec(statement)).first()


async def known_teams(session: AsyncSession, team_ids: Sequence[uuid.UUID], field: str) -> list[uuid.UUID]:
    """The teams named, once each, in order; an unknown one is refused as `field[i]`."""
    teams = list(dict.fromkeys(team_ids))
    for index, team_id in enumerate(teams):
        if await session.get(Team, team_id) is None:
            raise InvalidInput.field(f"{field}[{index}]", "unknown team")
    return teams


async def current_organisation_ids(session: AsyncSession, team_id: uuid.UUID) -> list[uuid.UUID]:
    statement = (
        select(TeamOrganisation.organisation_id)
        .where(TeamOrganisation.team_id == team_id, membership_is_current())
        .order_by(col(TeamOrganisation.since), col(TeamOrganisation.id))
    )
    return list((await session.exec(statement)).all())
