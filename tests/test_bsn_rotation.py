"""Rotating the BSN keys: every stored BSN re-encrypted with the new key and re-hashed, none lost."""

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from tests.conftest import BACKENDS, empty_database, run_async
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.core.security import SCOPES, Principal
from wijkregistratie.core.settings import Settings
from wijkregistratie.households.models import Member
from wijkregistratie.households.schemas import Address, MemberCreate
from wijkregistratie.households.service import create_household, find_by_bsn, rotate_bsn_keys
from wijkregistratie.organisations.schemas import OrganisationCreate
from wijkregistratie.organisations.service import create_organisation

BSNS = ["111222333", "123456782", "999990019"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_rotation_moves_every_bsn_to_the_new_keys(backend: str, tmp_path: Path) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old = BsnVault(Settings(bsn_encryption_keys=old_key, bsn_hash_key="old-hash-key"))
    rotating = BsnVault(Settings(bsn_encryption_keys=f"{new_key},{old_key}", bsn_hash_key="new-hash-key"))
    new_only = BsnVault(Settings(bsn_encryption_keys=new_key, bsn_hash_key="new-hash-key"))

    async def register(session):  # type: ignore[no-untyped-def]
        organisation = await create_organisation(session, OrganisationCreate(name="Org", kind="social_work"))
        principal = Principal(client_id="t", organisation_id=organisation.id, scopes=frozenset(SCOPES))
        members = [MemberCreate(surname="Jansen", bsn=b) for b in BSNS]
        address = Address(postcode="1234AB", house_number=1)
        await create_household(session, old, principal, address, members)

    async def stored(session):  # type: ignore[no-untyped-def]
        return sorted((await session.exec(select(Member.bsn_encrypted, Member.bsn_hash))).all())

    with empty_database(backend, tmp_path) as database_url:
        upgrade(database_url)
        run_async(database_url, register)
        before = run_async(database_url, stored)
        assert run_async(database_url, lambda s: rotate_bsn_keys(s, rotating, batch=2)) == 3
        after = run_async(database_url, stored)
        assert not set(before) & set(after)
        assert sorted(new_only.decrypt(token) for token, _ in after) == sorted(BSNS)
        assert sorted(h for _, h in after) == sorted(new_only.hash(b) for b in BSNS)
        # Lookup by BSN works with the new hash key alone.
        found = run_async(database_url, lambda s: find_by_bsn(s, new_only, BSNS[0]))
        assert found is not None
