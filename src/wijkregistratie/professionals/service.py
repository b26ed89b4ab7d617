import uuid

from sqlalchemy import String, cast
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import require_professional_registrar
from wijkregistratie.core.codes import LifeDomain
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import directory_event
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.professionals.models import Professional, TeamMembership
from wijkregistratie.professionals.schemas import ProfessionalContact, ProfessionalCreate, ProfessionalRead
from wijkregistratie.teams.models import Team


async def create_professional(
    session: AsyncSession, principal: Principal, data: ProfessionalCreate
) -> ProfessionalRead:
    require_professional_registrar(principal, data.organisation_id)
    if await session.get(Organisation, data.organisation_id) is None:
        raise InvalidInput.field("organisationId", "unknown organisation")
    team_ids = list(dict.fromkeys(data.team_ids))
    for team_id in team_ids:
        if await session.get(Team, team_id) is None:
            raise InvalidInput.field("teamIds", f"unknown team {team_id}")
    professional = Professional(
        organisation_id=data.organisation_id,
        name=data.name,
        email=data.email,
        phone=data.phone,
        expertise=[domain.value for domain in data.expertise],
    )
    session.add(professional)
    await session.flush()
    session.add_all([TeamMembership(team_id=t, professional_id=professional.id) for t in team_ids])
    announced = {"professionalId": professional.id, "organisationId": professional.organisation_id, "teamIds": team_ids}
    await directory_event(session, EventType.professional_registered, announced)
    return _read(professional, team_ids)


async def get_professional(session: AsyncSession, professional_id: uuid.UUID) -> ProfessionalRead:
    professional = await session.get(Professional, professional_id)
    if professional is None:
        raise NotFound("No professional with this id exists.")
    return _read(professional, await _team_ids(session, professional.id))


async def list_professionals(
    session: AsyncSession,
    organisation_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
    life_domain: LifeDomain | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ProfessionalRead], str | None]:
    statement = select(Professional)
    if organisation_id:
        statement = statement.where(Professional.organisation_id == organisation_id)
    if team_id:
        members = select(TeamMembership.professional_id).where(TeamMembership.team_id == team_id)
        statement = statement.where(col(Professional.id).in_(members))
    if life_domain:
        # Codes are whole quoted words in the JSON text, so a text match is exact on both databases.
        statement = statement.where(cast(Professional.expertise, String).like(f'%"{life_domain.value}"%'))
    rows, next_cursor = await paginate(
        session,
        statement,
        Professional.created_at,
        Professional.id,
        cursor,
        limit,
    )
    return [_read(r, await _team_ids(session, r.id)) for r in rows], next_cursor


async def contact_of(session: AsyncSession, professional_id: uuid.UUID) -> ProfessionalContact:
    professional, organisation = (
        await session.exec(
            select(Professional, Organisation)
            .join(Organisation, col(Organisation.id) == Professional.organisation_id)
            .where(Professional.id == professional_id)
        )
    ).one()
    return contact(professional, organisation)


def contact(professional: Professional, organisation: Organisation) -> ProfessionalContact:
    return ProfessionalContact(
        professional_id=professional.id,
        name=professional.name,
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        phone=professional.phone,
        email=professional.email,
    )


async def is_team_member(session: AsyncSession, professional_id: uuid.UUID, team_id: uuid.UUID) -> bool:
    return await session.get(TeamMembership, (team_id, professional_id)) is not None


async def _team_ids(session: AsyncSession, professional_id: uuid.UUID) -> list[uuid.UUID]:
    statement = select(TeamMembership.team_id).where(TeamMembership.professional_id == professional_id)
    return list((await session.exec(statement)).all())


def _read(professional: Professional, team_ids: list[uuid.UUID]) -> ProfessionalRead:
    return ProfessionalRead.model_validate(professional.model_dump() | {"team_ids": team_ids})
