import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from wijkregistratie.core.codes import LifeDomain
from wijkregistratie.core.database import Session
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, IfMatch, versioned
from wijkregistratie.core.identifiers import CBS_AREA_PATTERN, POSTCODE_PATTERN
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Authenticated
from wijkregistratie.services import service
from wijkregistratie.services.schemas import ServicePage, ServiceRead, ServiceWrite

router = APIRouter(prefix=f"{API_PREFIX}/services", tags=["Service directory"], route_class=Route)
ServiceId = Annotated[uuid.UUID, Path(alias="serviceId", description="The service's id.")]


@router.get(
    "",
    summary="Search the service directory",
    description="The sociale kaart: services of the organisations, by life domain, by postcode (its four "
    "digits) or by CBS area code (a neighbourhood also finds services for its district and municipality). "
    "Any authenticated client may read it.",
)
async def search_services(
    session: Session,
    _principal: Authenticated,
    life_domain: Annotated[LifeDomain | None, Query(alias="lifeDomain")] = None,
    postcode: Annotated[str | None, Query(pattern=POSTCODE_PATTERN, description="A postcode, 1234AB.")] = None,
    area_code: Annotated[str | None, Query(alias="areaCode", pattern=CBS_AREA_PATTERN)] = None,
    organisation_id: Annotated[uuid.UUID | None, Query(alias="organisationId")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> ServicePage:
    items, next_cursor = await service.search(session, life_domain, postcode, area_code, organisation_id, cursor, limit)
    return ServicePage(items=items, next_cursor=next_cursor)


@router.post(
    "",
    status_code=201,
    summary="Add a service",
    description="Adds a service of the caller's own organisation (with `admin`: of any organisation).",
    responses=errors(403) | CREATED_WITH_ETAG,
)
async def create_service(
    session: Session, principal: Authenticated, body: ServiceWrite, response: Response
) -> ServiceRead:
    created = await service.create_service(session, principal, body)
    return versioned(response, created, location=f"{API_PREFIX}/services/{created.id}")


@router.get(
    "/{serviceId}",
    summary="Read a service",
    description="One service of the directory.",
    responses=errors(404) | WITH_ETAG,
)
async def get_service(
    session: Session, _principal: Authenticated, service_id: ServiceId, response: Response
) -> ServiceRead:
    return versioned(response, await service.get_service(session, service_id))


@router.put(
    "/{serviceId}",
    summary="Change a service",
    description="Replaces a service of the caller's own organisation; `If-Match` must name its version.",
    responses=errors(403, 404, 412, 428) | WITH_ETAG,
)
async def update_service(
    session: Session,
    principal: Authenticated,
    service_id: ServiceId,
    body: ServiceWrite,
    response: Response,
    if_match: IfMatch = None,
) -> ServiceRead:
    return versioned(response, await service.update_service(session, principal, service_id, body, if_match))
