"""The municipalities a deployment serves: each holds its teams and their areas, and its figures."""

from collections.abc import Sequence

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.errors import Conflict, InvalidInput, NotFound
from wijkregistratie.core.pagination import paginate
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import directory_event
from wijkregistratie.municipalities.models import Municipality
from wijkregistratie.municipalities.schemas import MunicipalityCreate


def area_lies_in(area_code: str, municipality_code: str) -> bool:
    """A CBS district (WK) or neighbourhood (BU) code carries its municipality's four digits first."""
    return area_code[2:6] == municipality_code[2:6]


async def create_municipality(session: AsyncSession, data: MunicipalityCreate) -> Municipality:
    if await session.get(Municipality, data.code) is not None:
        raise Conflict(f"The municipality {data.code} is already registered.")
    municipality = Municipality(**data.model_dump())
    session.add(municipality)
    await directory_event(session, EventType.municipality_registered, {"code": data.code, "name": data.name})
    return municipality


async def get_municipality(session: AsyncSession, code: str) -> Municipality:
    municipality = await session.get(Municipality, code)
    if municipality is None:
        raise NotFound("No municipality with this code is registered.")
    return municipality


async def known_municipality(session: AsyncSession, code: str, field: str = "municipalityCode") -> Municipality:
    """The municipality an input names, or 400 naming the field."""
    municipality = await session.get(Municipality, code)
    if municipality is None:
        raise InvalidInput.field(field, f"no municipality {code} is registered; an operator registers it first")
    return municipality


async def list_municipalities(
    session: AsyncSession, cursor: str | None, limit: int
) -> tuple[Sequence[Municipality], str | None]:
    return await paginate(session, select(Municipality), Municipality.created_at, Municipality.code, cursor, limit)
