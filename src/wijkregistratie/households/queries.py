import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.codes import MemberRole
from wijkregistratie.core.route_facts import Subject, path_ids
from wijkregistratie.households.models import Household, Member


async def household_subject(_session: AsyncSession, params: Mapping[str, Any]) -> Subject:
    """For the access log: an address naming a household is about that household."""
    (household_id,) = path_ids(params, "householdId")
    return Subject(household_id=household_id)


@dataclass(frozen=True)
class HouseholdName:
    """How a list on a screen names a household: the applicant's surname and the address line."""

    surname: str | None
    address_line: str


async def household_names(session: AsyncSession, household_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, HouseholdName]:
    """The names of many households in two queries; only call it for households the caller may see."""
    ids = set(household_ids)
    households = (await session.exec(select(Household).where(col(Household.id).in_(ids)))).all()
    surnames: dict[uuid.UUID, str] = {}
    members = await session.exec(
        select(Member).where(col(Member.household_id).in_(ids)).order_by(col(Member.created_at), col(Member.id))
    )
    for member in members.all():  # the applicant, or else whoever was registered first
        if member.role == MemberRole.applicant:
            surnames[member.household_id] = member.surname
        else:
            surnames.setdefault(member.household_id, member.surname)
    return {h.id: HouseholdName(surnames.get(h.id), _address_line(h)) for h in households}


def _address_line(household: Household) -> str:
    number = f"{household.house_number}{household.house_number_addition or ''}"
    street = f"{household.street} {number}" if household.street else number
    return ", ".join(part for part in (street, household.postcode, household.city) if part)
