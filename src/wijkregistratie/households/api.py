from typing import Annotated

from fastapi import APIRouter, Query
from starlette.exceptions import HTTPException as StarletteHTTPException

from wijkregistratie.core.database import Session
from wijkregistratie.core.identifiers import POSTCODE_PATTERN, Vault, normalise_postcode
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.paths import HouseholdId
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Reader, Writer
from wijkregistratie.households import service
from wijkregistratie.households.queries import household_subject
from wijkregistratie.households.schemas import (
    HouseholdPage,
    HouseholdRead,
    HouseholdSearch,
    MemberCreate,
    MemberRead,
)

router = APIRouter(
    prefix=f"{API_PREFIX}/households",
    tags=["Households"],
    route_class=route_class(personal=True, subject=household_subject),
)


@router.get(
    "",
    summary="List households you may see",
    description="Households behind the caller's cases and signals (and, for a coordinator, the team's), oldest "
    "first. Filter by address; to find a household by BSN use `POST /households/search`.",
)
async def list_households(
    session: Session,
    vault: Vault,
    principal: Reader,
    postcode: Annotated[str | None, Query(pattern=POSTCODE_PATTERN, description="Postcode, 1234AB.")] = None,
    house_number: Annotated[int | None, Query(alias="houseNumber", ge=1, le=99999)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> HouseholdPage:
    items, next_cursor = await service.list_households(
        session,
        vault,
        principal,
        normalise_postcode(postcode) if postcode else None,
        house_number,
        cursor,
        limit,
    )
    return HouseholdPage(items=items, next_cursor=next_cursor)


@router.post(
    "/search",
    summary="Find households by BSN or address",
    description="Searches the households the caller may see by a member's BSN or by address. The BSN travels "
    "in the request body so it never appears in a URL, a proxy log or a browser history.",
)
async def search_households(
    session: Session, vault: Vault, principal: Reader, body: HouseholdSearch
) -> list[HouseholdRead]:
    return await service.search_households(session, vault, principal, body)


@router.api_route("/search", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def search_takes_only_post() -> None:
    # `/households/search` is an address of its own, not a household id: other methods answer 405.
    raise StarletteHTTPException(405)


@router.get(
    "/{householdId}",
    summary="Read a household",
    description="The household's address, contact details and members. BSNs are masked unless the caller has "
    "the `bsn:read` scope.",
    responses=errors(404),
)
async def get_household(session: Session, vault: Vault, principal: Reader, household_id: HouseholdId) -> HouseholdRead:
    return await service.get_household(session, vault, principal, household_id)


@router.get(
    "/{householdId}/members",
    summary="List a household's members",
    description="The members of one household, in the order they were registered.",
    responses=errors(404),
)
async def list_members(
    session: Session, vault: Vault, principal: Reader, household_id: HouseholdId
) -> list[MemberRead]:
    return await service.list_members(session, vault, principal, household_id)


@router.post(
    "/{householdId}/members",
    status_code=201,
    summary="Add a member to a household",
    description="Registers a person in the household: with a BSN, or with the legal fallback set (surname, "
    "given names, date of birth; the address is the household's).",
    responses=errors(404, 409),
)
async def add_member(
    session: Session, vault: Vault, principal: Writer, household_id: HouseholdId, body: MemberCreate
) -> MemberRead:
    return await service.add_member(session, vault, principal, household_id, body)
