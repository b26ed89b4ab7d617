import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from wijkregistratie.core.database import Session
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, IfMatch, versioned
from wijkregistratie.core.identifiers import POSTCODE_PATTERN, Vault, normalise_postcode
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.paths import HouseholdId
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Reader, Writer
from wijkregistratie.households import service
from wijkregistratie.households.queries import household_subject
from wijkregistratie.households.schemas import (
    HouseholdPage,
    HouseholdRead,
    HouseholdSearch,
    HouseholdUpdate,
    MemberCreate,
    MemberRead,
    MemberUpdate,
)

MemberId = Annotated[uuid.UUID, Path(alias="memberId", description="The member's id.")]

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
    summary="Find households by BSN, address, or name and date of birth",
    description="Searches the households the caller may see by a member's BSN, by address, or by a member's "
    "surname and date of birth (narrowed by the start of the given names or a postcode). What is searched "
    "travels in the request body so it never appears in a URL, a proxy log or a browser history; every search "
    "states its purpose and is logged against each household it answers.",
)
@declare(reads=True)
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
    responses=WITH_ETAG | errors(404),
)
async def get_household(
    session: Session, vault: Vault, principal: Reader, household_id: HouseholdId, response: Response
) -> HouseholdRead:
    return versioned(response, await service.get_household(session, vault, principal, household_id))


@router.patch(
    "/{householdId}",
    summary="Correct a household's address or contact details",
    description="The right to rectification: a move (the whole new address with its CBS neighbourhood code) or "
    "other contact details. By an organisation involved in the household's open case or the team's "
    "coordinator; needs `If-Match`. Kept as a correction (which fields, by whom) that the export shows, and "
    "told to everyone involved. Signals and cases keep the neighbourhood they were registered in.",
    responses=WITH_ETAG | errors(403, 404, 412, 428),
)
async def correct_household(
    session: Session,
    vault: Vault,
    principal: Writer,
    household_id: HouseholdId,
    body: HouseholdUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> HouseholdRead:
    corrected = await service.correct_household(session, vault, principal, household_id, body, if_match)
    return versioned(response, corrected)


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
    responses=CREATED_WITH_ETAG | errors(403, 404, 409),
)
async def add_member(
    session: Session, vault: Vault, principal: Writer, household_id: HouseholdId, body: MemberCreate, response: Response
) -> MemberRead:
    member = await service.add_member(session, vault, principal, household_id, body)
    return versioned(response, member, location=f"{API_PREFIX}/households/{household_id}/members/{member.id}")


@router.get(
    "/{householdId}/members/{memberId}",
    summary="Read a member of a household",
    description="One person of the household, with the version to correct them by.",
    responses=WITH_ETAG | errors(404),
)
async def get_member(
    session: Session,
    vault: Vault,
    principal: Reader,
    household_id: HouseholdId,
    member_id: MemberId,
    response: Response,
) -> MemberRead:
    return versioned(response, await service.get_member(session, vault, principal, household_id, member_id))


@router.patch(
    "/{householdId}/members/{memberId}",
    summary="Correct a member, or record that they left",
    description="The right to rectification for one person: name, date of birth, role, contact, or the day "
    "they left the household (`leftOn`). Who may, and what is kept and told, as for the household; needs "
    "`If-Match`.",
    responses=WITH_ETAG | errors(403, 404, 412, 428),
)
async def correct_member(
    session: Session,
    vault: Vault,
    principal: Writer,
    household_id: HouseholdId,
    member_id: MemberId,
    body: MemberUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> MemberRead:
    corrected = await service.correct_member(session, vault, principal, household_id, member_id, body, if_match)
    return versioned(response, corrected)
