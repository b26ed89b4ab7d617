from typing import Annotated

from fastapi import APIRouter, Path, Response

from wijkregistratie.core.database import Session
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, versioned
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Admin, Authenticated
from wijkregistratie.municipalities import service
from wijkregistratie.municipalities.schemas import (
    MUNICIPALITY_PATTERN,
    MunicipalityCreate,
    MunicipalityPage,
    MunicipalityRead,
)

router = APIRouter(prefix=f"{API_PREFIX}/municipalities", tags=["Municipalities"], route_class=Route)
Code = Annotated[str, Path(pattern=MUNICIPALITY_PATTERN, description="The CBS municipality code.")]


@router.get(
    "",
    summary="List municipalities",
    description="The municipalities this deployment serves, in the order they were registered.",
)
async def list_municipalities(
    session: Session, _principal: Authenticated, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE_SIZE
) -> MunicipalityPage:
    rows, next_cursor = await service.list_municipalities(session, cursor, limit)
    return MunicipalityPage(items=[MunicipalityRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "",
    status_code=201,
    summary="Register a municipality",
    description="Adds a municipality by its CBS code; its teams, their areas and its figures clients are bound "
    "to it. Needs the `admin` scope.",
    responses=CREATED_WITH_ETAG | errors(409),
)
@declare(logged=True)  # who changed the directory, kept with the access log
async def create_municipality(
    session: Session, _principal: Admin, body: MunicipalityCreate, response: Response
) -> MunicipalityRead:
    municipality = MunicipalityRead.model_validate(await service.create_municipality(session, body))
    return versioned(response, municipality, location=f"{API_PREFIX}/municipalities/{municipality.code}")


@router.get(
    "/{code}",
    summary="Read a municipality",
    description="One municipality by its CBS code.",
    responses=WITH_ETAG | errors(404),
)
async def get_municipality(
    session: Session, _principal: Authenticated, code: Code, response: Response
) -> MunicipalityRead:
    return versioned(response, MunicipalityRead.model_validate(await service.get_municipality(session, code)))
