import uuid
from collections.abc import Sequence

from pydantic.alias_generators import to_camel
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.codes import OrganisationKind
from wijkregistratie.core.errors import NotFound
from wijkregistratie.core.etag import check_if_match, new_version
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.schemas import changes_of
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import directory_event
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.organisations.schemas import OrganisationCreate, OrganisationUpdate


async def create_organisation(session: AsyncSession, data: OrganisationCreate) -> Organisation:
    organisation = Organisation(**data.model_dump())
    session.add(organisation)
    announced = {"organisationId": organisation.id, "name": organisation.name, "kind": organisation.kind}
    await directory_event(session, EventType.organisation_registered, announced)
    return organisation


async def update_organisation(
    session: AsyncSession, organisation_id: uuid.UUID, data: OrganisationUpdate, if_match: str | None
) -> Organisation:
    organisation = await get_organisation(session, organisation_id)
    check_if_match(if_match, organisation.version)
    changes = changes_of(data, nullable=("kvk_number", "agb_code", "contact_name", "contact_phone", "contact_email"))
    if not changes:
        return organisation
    for name, value in changes.items():
        setattr(organisation, name, value)
    new_version(session, organisation)
    announced = {
        "organisationId": organisation.id,
        "changed": [to_camel(n) for n in changes],
        "version": organisation.version,
    }
    await directory_event(session, EventType.organisation_changed, announced)
    return organisation


async def get_organisation(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation:
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No organisation with this id exists.")
    return organisation


async def list_organisations(
    session: AsyncSession, kind: OrganisationKind | None, cursor: str | None, limit: int
) -> tuple[Sequence[Organisation], str | None]:
    statement = select(Organisation)
    if kind:
        statement = statement.where(Organisation.kind == kind)
    return await paginate(session, statement, Organisation.created_at, Organisation.id, cursor, limit)
