import uuid
from collections.abc import Sequence

from pydantic.alias_generators import to_camel
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import sees_bsn
from wijkregistratie.access.visibility import households_visible_to, visible_household, writable_household
from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.database import hold_transaction_locks
from wijkregistratie.core.errors import Conflict, InvalidInput, NotFound
from wijkregistratie.core.etag import check_if_match, new_version
from wijkregistratie.core.identifiers import BsnVault, mask_bsn
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.route_facts import Subject
from wijkregistratie.core.schemas import changes_of
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import household_event
from wijkregistratie.households.models import Correction, Household, Member
from wijkregistratie.households.schemas import (
    Address,
    HouseholdRead,
    HouseholdSearch,
    HouseholdUpdate,
    MemberCreate,
    MemberRead,
    MemberUpdate,
)


async def serialise_registration(
    session: AsyncSession, vault: BsnVault, address: Address, members: Sequence[MemberCreate]
) -> None:
    """Registrations of the same address or person wait for each other until commit, so two signals sent at
    the same moment for a new household find one household between them, not one each."""
    addition = (address.house_number_addition or "").upper()
    names = [f"household-address:{address.postcode}:{address.house_number}:{addition}"]
    names += [f"household-bsn:{vault.hash(m.bsn)}" for m in members if m.bsn]
    await hold_transaction_locks(session, names)


async def find_by_bsn(session: AsyncSession, vault: BsnVault, bsn: str) -> Household | None:
    statement = select(Household).join(Member, col(Member.household_id) == Household.id)
    return (await session.exec(statement.where(Member.bsn_hash == vault.hash(bsn)))).first()


async def households_at(
    session: AsyncSession, postcode: str, house_number: int, addition: str | None
) -> list[Household]:
    statement = select(Household).where(
        Household.postcode == postcode,
        Household.house_number == house_number,
        Household.house_number_addition == (addition or "").upper(),
        col(Household.erased_at).is_(None),
    )
    return list((await session.exec(statement.order_by(col(Household.created_at)).limit(20))).all())


async def matching(
    session: AsyncSession, candidates: Sequence[Household], members: Sequence[MemberCreate]
) -> Household | None:
    """The one household at an address; where several live there, the one with a member of the same name and
    date of birth (the legal fallback set), or, when no member is named, the one registered last. None: a
    household the record does not know yet."""
    if len(candidates) <= 1 or not members:
        return candidates[-1] if candidates else None
    people = {(m.surname.casefold(), m.date_of_birth) for m in members}
    statement = select(Member).where(col(Member.household_id).in_([h.id for h in candidates]))
    for member in (await session.exec(statement)).all():
        if (member.surname.casefold(), member.date_of_birth) in people:
            return next(h for h in candidates if h.id == member.household_id)
    return None


async def create_household(
    session: AsyncSession,
    vault: BsnVault,
    principal: Principal,
    address: Address,
    members: Sequence[MemberCreate],
    phone: str | None = None,
    email: str | None = None,
) -> Household:
    household = Household(
        postcode=address.postcode,
        house_number=address.house_number,
        house_number_addition=address.house_number_addition or "",
        street=address.street,
        city=address.city,
        buurt_code=address.buurt_code,
        phone=phone,
        email=email,
        created_by_organisation_id=principal.organisation_id,
    )
    session.add(household)
    await session.flush()
    for index, member in enumerate(members):
        await _add_member(session, vault, household, member, f"household.members[{index}].bsn")
    return household


async def add_member(
    session: AsyncSession, vault: BsnVault, principal: Principal, household_id: uuid.UUID, data: MemberCreate
) -> MemberRead:
    household = await writable_household(session, principal, household_id)
    member = await _add_member(session, vault, household, data, "bsn")
    await _corrected(session, principal, household, EventType.member_added, member, [])
    return member_read(member, vault, principal)


async def add_reported_members(
    session: AsyncSession,
    vault: BsnVault,
    principal: Principal,
    household: Household,
    members: Sequence[MemberCreate],
    signal_id: uuid.UUID,
) -> list[Member]:
    """The members a signal names for a household the record already knows: each one it does not hold yet
    (by BSN, else by surname and date of birth) is added, never dropped. A person whose BSN the record
    holds is matched, wherever they live. The reporter is not told: its answer must not say whether the
    household was known; those who see the household are."""
    present = (await session.exec(select(Member).where(Member.household_id == household.id))).all()
    people = {(m.surname.casefold(), m.date_of_birth) for m in present}
    added = []
    for member in members:
        if (
            member.bsn
            and (await session.exec(select(Member.id).where(Member.bsn_hash == vault.hash(member.bsn)))).first()
        ):
            continue
        if (member.surname.casefold(), member.date_of_birth) in people:
            continue
        new = await _add_member(session, vault, household, member, "household.members")
        people.add((new.surname.casefold(), new.date_of_birth))
        session.add(
            Correction(
                household_id=household.id,
                member_id=new.id,
                fields=["added"],
                organisation_id=principal.organisation_id,
                client_id=principal.client_id,
            )
        )
        data = {"memberId": new.id, "signalId": signal_id, "fields": [], "version": new.version}
        await household_event(session, EventType.member_added, household.id, principal, data, also=())
        added.append(new)
    return added


async def correct_household(
    session: AsyncSession,
    vault: BsnVault,
    principal: Principal,
    household_id: uuid.UUID,
    data: HouseholdUpdate,
    if_match: str | None,
) -> HouseholdRead:
    """Rectification (AVG art. 16) of the address or contact details. A move takes the new neighbourhood
    code; signals and cases keep the one they were registered in, so past figures stay as they were."""
    household = await writable_household(session, principal, household_id)
    check_if_match(if_match, household.version)
    changes = changes_of(data, nullable=("phone", "email"))
    if not changes:  # nothing to correct: no new version, nothing to tell
        return await household_read(session, vault, principal, household)
    if data.address is not None:
        address = data.address
        household.postcode = address.postcode
        household.house_number = address.house_number
        household.house_number_addition = address.house_number_addition or ""
        household.street = address.street
        household.city = address.city
        household.buurt_code = address.buurt_code
    for name in ("phone", "email"):
        if name in changes:
            setattr(household, name, changes[name])
    new_version(session, household)
    await _corrected(session, principal, household, EventType.household_corrected, None, list(changes))
    return await household_read(session, vault, principal, household)


async def correct_member(
    session: AsyncSession,
    vault: BsnVault,
    principal: Principal,
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    data: MemberUpdate,
    if_match: str | None,
) -> MemberRead:
    """Correct a member's name, date of birth, role or contact, or record the day they left."""
    household = await writable_household(session, principal, household_id)
    member = await _member_of(session, household, member_id)
    check_if_match(if_match, member.version)
    changes = changes_of(data, nullable=("given_names", "date_of_birth", "phone", "email", "left_on"))
    if not changes:
        return member_read(member, vault, principal)
    given_names = changes.get("given_names", member.given_names)
    if member.bsn_hash is None and (given_names is None or changes.get("date_of_birth", member.date_of_birth) is None):
        raise InvalidInput.field("givenNames", "without a BSN, givenNames and dateOfBirth are required")
    for name, value in changes.items():
        setattr(member, name, value)
    new_version(session, member)
    await _corrected(session, principal, household, EventType.member_corrected, member, list(changes))
    return member_read(member, vault, principal)


async def get_member(
    session: AsyncSession, vault: BsnVault, principal: Principal, household_id: uuid.UUID, member_id: uuid.UUID
) -> MemberRead:
    household = await visible_household(session, principal, household_id)
    note_subjects(session, Subject(household_id=household.id))
    return member_read(await _member_of(session, household, member_id), vault, principal)


async def _member_of(session: AsyncSession, household: Household, member_id: uuid.UUID) -> Member:
    member = await session.get(Member, member_id)
    if member is None or member.household_id != household.id:
        raise NotFound("No member with this id lives in this household.")
    return member


async def _corrected(
    session: AsyncSession,
    principal: Principal,
    household: Household,
    type_: EventType,
    member: Member | None,
    fields: list[str],
) -> None:
    """Kept as a correction of the file (which fields, by whom; the values are the file's) and told to
    everyone involved in the household's case, the coordinators included."""
    names = [to_camel(f) for f in fields]
    session.add(
        Correction(
            household_id=household.id,
            member_id=member.id if member else None,
            fields=names or ["added"],
            organisation_id=principal.organisation_id,
            client_id=principal.client_id,
        )
    )
    data = {"memberId": member.id if member else None, "fields": names, "version": (member or household).version}
    await household_event(session, type_, household.id, principal, data, also={principal.organisation_id})


async def _add_member(
    session: AsyncSession, vault: BsnVault, household: Household, data: MemberCreate, bsn_field: str
) -> Member:
    bsn_hash = vault.hash(data.bsn) if data.bsn else None
    if bsn_hash and (await session.exec(select(Member.id).where(Member.bsn_hash == bsn_hash))).first():
        raise Conflict(f"The person with this BSN ({bsn_field}) is already registered in a household.")
    member = Member(
        household_id=household.id,
        given_names=data.given_names,
        surname=data.surname,
        date_of_birth=data.date_of_birth,
        role=data.role,
        bsn_hash=bsn_hash,
        bsn_encrypted=vault.encrypt(data.bsn) if data.bsn else None,
        phone=data.phone,
        email=data.email,
    )
    session.add(member)
    await session.flush()
    return member


def member_read(member: Member, vault: BsnVault, principal: Principal) -> MemberRead:
    bsn = None
    if member.bsn_encrypted:
        plain = vault.decrypt(member.bsn_encrypted)
        bsn = plain if sees_bsn(principal) else mask_bsn(plain)
    return MemberRead.model_validate(member.model_dump(exclude={"bsn_hash", "bsn_encrypted"}) | {"bsn": bsn})


async def household_read(
    session: AsyncSession, vault: BsnVault, principal: Principal, household: Household
) -> HouseholdRead:
    note_subjects(session, Subject(household_id=household.id))
    members = (
        await session.exec(
            select(Member).where(Member.household_id == household.id).order_by(col(Member.created_at), col(Member.id))
        )
    ).all()
    return HouseholdRead(
        id=household.id,
        address=Address(
            postcode=household.postcode,
            house_number=household.house_number,
            house_number_addition=household.house_number_addition or None,
            street=household.street,
            city=household.city,
            buurt_code=household.buurt_code,
        ),
        phone=household.phone,
        email=household.email,
        members=[member_read(m, vault, principal) for m in members],
        version=household.version,
        created_at=household.created_at,
        updated_at=household.updated_at,
    )


async def get_household(
    session: AsyncSession, vault: BsnVault, principal: Principal, household_id: uuid.UUID
) -> HouseholdRead:
    return await household_read(session, vault, principal, await visible_household(session, principal, household_id))


async def list_members(
    session: AsyncSession, vault: BsnVault, principal: Principal, household_id: uuid.UUID
) -> list[MemberRead]:
    return (await get_household(session, vault, principal, household_id)).members


async def list_households(
    session: AsyncSession,
    vault: BsnVault,
    principal: Principal,
    postcode: str | None,
    house_number: int | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[HouseholdRead], str | None]:
    statement = select(Household).where(households_visible_to(principal))
    if postcode:
        statement = statement.where(Household.postcode == postcode)
    if house_number:
        statement = statement.where(Household.house_number == house_number)
    rows, next_cursor = await paginate(session, statement, Household.created_at, Household.id, cursor, limit)
    return [await household_read(session, vault, principal, h) for h in rows], next_cursor


async def search_households(
    session: AsyncSession, vault: BsnVault, principal: Principal, query: HouseholdSearch
) -> list[HouseholdRead]:
    statement = select(Household).where(households_visible_to(principal))
    if query.bsn:
        holders = select(Member.household_id).where(Member.bsn_hash == vault.hash(query.bsn))
        statement = statement.where(col(Household.id).in_(holders))
    elif query.surname is not None:
        # The person, by the legal fallback set: surname and date of birth, narrowed by given names or postcode.
        person = select(Member.household_id).where(
            func.lower(Member.surname) == query.surname.casefold(), Member.date_of_birth == query.date_of_birth
        )
        if query.given_names:
            person = person.where(func.lower(Member.given_names).startswith(query.given_names.casefold()))
        statement = statement.where(col(Household.id).in_(person))
    # A partial address narrows: the postcode, the house number, the addition — each only where given.
    for column, value in (
        (Household.postcode, query.postcode),
        (Household.house_number, query.house_number),
        (Household.house_number_addition, query.house_number_addition.upper() if query.house_number_addition else None),
    ):
        if value is not None and not query.bsn:
            statement = statement.where(column == value)
    rows = (await session.exec(statement.order_by(col(Household.created_at)).limit(20))).all()
    return [await household_read(session, vault, principal, h) for h in rows]


async def rotate_bsn_keys(session: AsyncSession, vault: BsnVault, batch: int = 500) -> int:
    """Re-encrypt every BSN with the current key and re-hash it with the current hash key.

    Run after putting a new key first in WR_BSN_ENCRYPTION_KEYS (keeping the old ones after it) or after
    changing WR_BSN_HASH_KEY; afterwards the old encryption keys can be removed.
    """
    done = 0
    last_id: uuid.UUID | None = None
    while True:
        statement = select(Member).where(col(Member.bsn_encrypted).is_not(None)).order_by(col(Member.id)).limit(batch)
        if last_id is not None:
            statement = statement.where(col(Member.id) > last_id)
        members = (await session.exec(statement)).all()
        if not members:
            return done
        for member in members:
            if member.bsn_encrypted is None:  # selected for having one; keeps the type checker informed
                continue
            member.bsn_hash = vault.hash(vault.decrypt(member.bsn_encrypted))
            member.bsn_encrypted = vault.rotate(member.bsn_encrypted)
            session.add(member)
        await session.flush()
        done += len(members)
        last_id = members[-1].id
