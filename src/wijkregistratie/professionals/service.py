import uuid

from pydantic.alias_generators import to_camel
from sqlalchemy import String, cast
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import require_professional_registrar
from wijkregistratie.core.codes import LifeDomain
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.etag import check_if_match, new_version
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.schemas import changes_of
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import directory_event
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.professionals.models import Professional, TeamMembership
from wijkregistratie.professionals.queries import still_working
from wijkregistratie.professionals.schemas import (
    ProfessionalContact,
    ProfessionalCreate,
    ProfessionalRead,
    ProfessionalUpdate,
)
from wijkregistratie.teams.queries import known_teams


async def create_professional(
    session: AsyncSession, principal: Principal, data: ProfessionalCreate
) -> ProfessionalRead:
    require_professional_registrar(principal, data.organisation_id)
    if await session.get(Organisation, data.organisation_id) is None:
        raise InvalidInput.field("organisationId", "unknown organisation")
    team_ids = await known_teams(session, data.team_ids, "teamIds")
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


async def update_professional(
    session: AsyncSession,
    principal: Principal,
    professional_id: uuid.UUID,
    data: ProfessionalUpdate,
    if_match: str | None,
) -> ProfessionalRead:
    """Change a professional's teams, expertise or contact, or record the day they leave: from the day after,
    they are assigned nothing, and the coordinator sees their open leads (`GET /v1/cases?leadLeft=true`)."""
    professional = await _professional(session, professional_id)
    require_professional_registrar(principal, professional.organisation_id)
    check_if_match(if_match, professional.version)
    changes = changes_of(data, nullable=("email", "phone", "left_on"))
    if not changes:
        return _read(professional, await _team_ids(session, professional.id))
    if "team_ids" in changes:
        team_ids = await known_teams(session, data.team_ids or [], "teamIds")
        for membership in (
            await session.exec(select(TeamMembership).where(TeamMembership.professional_id == professional.id))
        ).all():
            await session.delete(membership)
        await session.flush()
        session.add_all([TeamMembership(team_id=t, professional_id=professional.id) for t in team_ids])
    if "expertise" in changes:
        professional.expertise = [domain.value for domain in data.expertise or []]
    for name in ("name", "email", "phone", "left_on"):
        if name in changes:
            setattr(professional, name, changes[name])
    new_version(session, professional)
    announced = {
        "professionalId": professional.id,
        "organisationId": professional.organisation_id,
        "changed": [to_camel(n) for n in changes],
        "leftOn": professional.left_on,
        "version": professional.version,
    }
    left = "left_on" in changes and professional.left_on is not None
    await directory_event(session, EventType.professional_left if left else EventType.professional_changed, announced)
    return _read(professional, await _team_ids(session, professional.id))


async def get_professional(session: AsyncSession, professional_id: uuid.UUID) -> ProfessionalRead:
    professional = await _professional(session, professional_id)
    return _read(professional, await _team_ids(session, professional.id))


async def assignable(session: AsyncSession, professional_id: uuid.UUID, team_id: uuid.UUID) -> Professional | None:
    """A professional who works in the team and has not left: the only kind a signal or a lead goes to."""
    statement = (
        select(Professional)
        .join(TeamMembership, col(TeamMembership.professional_id) == Professional.id)
        .where(Professional.id == professional_id, TeamMembership.team_id == team_id, still_working())
    )
    return (await session.exec(statement)).first()


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


async def _professional(session: AsyncSession, professional_id: uuid.UUID) -> Professional:
    professional = await session.get(Professional, professional_id)
    if professional is None:
        raise NotFound("No professional with this id exists.")
    return professional


async def _team_ids(session: AsyncSession, professional_id: uuid.UUID) -> list[uuid.UUID]:
    statement = select(TeamMembership.team_id).where(TeamMembership.professional_id == professional_id)
    return list((await session.exec(statement)).all())


def _read(professional: Professional, team_ids: list[uuid.UUID]) -> ProfessionalRead:
    return ProfessionalRead.model_validate(professional.model_dump() | {"team_ids": team_ids})
