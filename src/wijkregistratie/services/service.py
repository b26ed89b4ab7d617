"""The service directory (sociale kaart): what organisations offer, where, and for whom."""

import uuid

from sqlalchemy import String, cast, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from wijkregistratie.access.rules import require_service_editor
from wijkregistratie.core.codes import LifeDomain
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.etag import check_if_match
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import directory_event
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.services.models import Service
from wijkregistratie.services.schemas import ServiceRead, ServiceWrite


async def _organisation(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation:
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise InvalidInput.field("organisationId", "unknown organisation")
    return organisation


async def create_service(session: AsyncSession, principal: Principal, data: ServiceWrite) -> ServiceRead:
    require_service_editor(principal, data.organisation_id)
    organisation = await _organisation(session, data.organisation_id)
    service = Service(**data.model_dump(mode="json") | {"organisation_id": data.organisation_id})
    session.add(service)
    await _announce(session, EventType.service_registered, service)
    return _read(service, organisation)


async def _announce(session: AsyncSession, type_: EventType, service: Service) -> None:
    data = {"serviceId": service.id, "organisationId": service.organisation_id, "version": service.version}
    await directory_event(session, type_, data)


async def update_service(
    session: AsyncSession, principal: Principal, service_id: uuid.UUID, data: ServiceWrite, if_match: str | None
) -> ServiceRead:
    service = await session.get(Service, service_id)
    if service is None:
        raise NotFound("No service with this id exists.")
    require_service_editor(principal, service.organisation_id)
    if data.organisation_id != service.organisation_id:
        raise InvalidInput.field("organisationId", "a service stays with its organisation")
    check_if_match(if_match, service.version)
    for name, value in data.model_dump(mode="json", exclude={"organisation_id"}).items():
        setattr(service, name, value)
    service.version += 1
    session.add(service)
    await _announce(session, EventType.service_changed, service)
    return _read(service, await _organisation(session, service.organisation_id))


async def get_service(session: AsyncSession, service_id: uuid.UUID) -> ServiceRead:
    service = await session.get(Service, service_id)
    if service is None:
        raise NotFound("No service with this id exists.")
    return _read(service, await _organisation(session, service.organisation_id))


def _json_contains(column: object, value: str) -> object:
    # Codes are whole quoted words in the JSON text, so a text match is exact on both databases.
    return cast(column, String).like(f'%"{value}"%')


async def search(
    session: AsyncSession,
    life_domain: LifeDomain | None,
    postcode: str | None,
    area_code: str | None,
    organisation_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ServiceRead], str | None]:
    statement: SelectOfScalar[Service] = select(Service)
    if life_domain:
        statement = statement.where(_json_contains(Service.life_domains, life_domain.value))  # type: ignore[arg-type]
    if postcode:
        statement = statement.where(_json_contains(Service.pc4_areas, postcode[:4]))  # type: ignore[arg-type]
    if area_code:
        # A service for the whole municipality (GM) or district (WK) also serves each neighbourhood in it.
        wider = {area_code, f"GM{area_code[2:6]}"} | ({f"WK{area_code[2:8]}"} if area_code.startswith("BU") else set())
        statement = statement.where(or_(*(_json_contains(Service.area_codes, c) for c in sorted(wider))))  # type: ignore[arg-type]
    if organisation_id:
        statement = statement.where(Service.organisation_id == organisation_id)
    rows, next_cursor = await paginate(session, statement, Service.created_at, Service.id, cursor, limit)
    names = {
        o.id: o
        for o in (
            await session.exec(select(Organisation).where(col(Organisation.id).in_({r.organisation_id for r in rows})))
        ).all()
    }
    return [_read(r, names[r.organisation_id]) for r in rows], next_cursor


def _read(service: Service, organisation: Organisation) -> ServiceRead:
    return ServiceRead.model_validate(service.model_dump() | {"organisation_name": organisation.name})
