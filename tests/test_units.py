"""Rules that need no server: identifiers, secrets, settings."""

import base64
import secrets

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from tests.conftest import leaked
from wijkregistratie.core.errors import invalid_params_from
from wijkregistratie.core.identifiers import (
    BsnVault,
    area_codes_cover,
    is_valid_bsn,
    mask_bsn,
    normalise_postcode,
    validate_bsn,
)
from wijkregistratie.core.security import hash_secret, verify_secret
from wijkregistratie.core.settings import DEV_WEBHOOK_SECRET_KEY, Settings
from wijkregistratie.households.schemas import MemberCreate
from wijkregistratie.journal.schemas import JournalEntryCreate

pytestmark = pytest.mark.fast


@pytest.mark.parametrize("bsn", ["111222333", "123456782", "999990019"])
def test_valid_bsns_pass_the_eleven_check(bsn: str) -> None:
    assert is_valid_bsn(bsn)


@pytest.mark.parametrize("bsn", ["123456789", "111222334", "000000000", "12345678", "1234567890", "12345678a"])
def test_invalid_bsns_fail(bsn: str) -> None:
    assert not is_valid_bsn(bsn)


def test_an_eight_digit_bsn_gets_its_leading_zero() -> None:
    assert validate_bsn("10000008") == "010000008"
    with pytest.raises(ValueError, match="11-check"):
        validate_bsn("123456789")
    assert mask_bsn("111222333") == "******333"


@pytest.mark.parametrize(("given", "expected"), [("1234ab", "1234AB"), ("1234 AB", "1234AB"), ("9999zz", "9999ZZ")])
def test_postcodes_are_normalised(given: str, expected: str) -> None:
    assert normalise_postcode(given) == expected


@pytest.mark.parametrize("postcode", ["0123AB", "123AB", "1234A", "1234SA", "1234SS", "1234SD", "ABCD12"])
def test_impossible_postcodes_are_refused(postcode: str) -> None:
    with pytest.raises(ValueError, match="postcode"):
        normalise_postcode(postcode)


def test_area_codes_cover_their_neighbourhoods() -> None:
    assert area_codes_cover(["GM0599"], "BU05991501")
    assert area_codes_cover(["WK059915"], "BU05991501")
    assert area_codes_cover(["BU05991501"], "BU05991501")
    assert not area_codes_cover(["WK059916"], "BU05991501")
    assert not area_codes_cover(["GM0363"], "BU05991501")


def test_secrets_are_hashed_with_a_salt() -> None:
    first, second = hash_secret("s3cret"), hash_secret("s3cret")
    assert first != second and "s3cret" not in first
    assert verify_secret("s3cret", first) and verify_secret("s3cret", second)
    assert not verify_secret("S3cret", first)
    assert not verify_secret("s3cret", "not-a-hash")


def test_the_bsn_vault_rotates_keys_and_hashes_with_a_key() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old = BsnVault(Settings(bsn_encryption_keys=old_key, bsn_hash_key="k1"))
    rotated = BsnVault(Settings(bsn_encryption_keys=f"{new_key},{old_key}", bsn_hash_key="k1"))
    stored = old.encrypt("111222333")
    assert "111222333" not in stored
    assert rotated.decrypt(stored) == "111222333"
    assert old.hash("111222333") == rotated.hash("111222333")
    assert BsnVault(Settings(bsn_hash_key="k2")).hash("111222333") != old.hash("111222333")


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ValueError, match="WR_TOKEN_SIGNING_KEY"):
        Settings(environment="production")
    strong = {
        "token_signing_key": secrets.token_urlsafe(40),
        "bsn_hash_key": secrets.token_urlsafe(40),
        "bsn_encryption_keys": Fernet.generate_key().decode(),
        "webhook_secret_keys": Fernet.generate_key().decode(),
    }
    assert Settings(environment="production", **strong).environment == "production"
    with pytest.raises(ValueError, match="WR_WEBHOOK_SECRET_KEYS"):
        Settings(environment="production", **(strong | {"webhook_secret_keys": DEV_WEBHOOK_SECRET_KEY}))


@pytest.mark.parametrize(
    ("name", "weak"),
    [
        ("token_signing_key", "short"),
        ("token_signing_key", "x" * 40),  # long, but one character over and over
        ("bsn_hash_key", "k"),
        ("bsn_hash_key", "abcd" * 10),
        ("bsn_encryption_keys", "not-a-fernet-key"),
        ("bsn_encryption_keys", base64.urlsafe_b64encode(b"a" * 32).decode()),  # a Fernet key typed by hand
        ("webhook_secret_keys", base64.urlsafe_b64encode(bytes(range(32))).decode() + ",tooshort"),
    ],
)
def test_production_refuses_weak_keys_of_every_kind(name: str, weak: str) -> None:
    strong = {
        "token_signing_key": secrets.token_urlsafe(40),
        "bsn_hash_key": secrets.token_urlsafe(40),
        "bsn_encryption_keys": Fernet.generate_key().decode(),
        "webhook_secret_keys": Fernet.generate_key().decode(),
    }
    with pytest.raises(ValueError, match="weak keys"):
        Settings(environment="production", **(strong | {name: weak}))


def test_invalid_params_name_fields_without_their_values() -> None:
    errors = [
        {
            "loc": ("body", "household", "members", 0, "bsn"),
            "msg": "Value error, not a valid BSN",
            "type": "value_error",
            "input": "123456789",
        },
        {"loc": ("query", "limit"), "msg": "too big", "type": "less_than_equal", "input": 500},
    ]
    params = invalid_params_from(errors)
    assert [(p.name, p.reason) for p in params] == [
        ("household.members[0].bsn", "not a valid BSN"),
        ("limit", "too big"),
    ]
    assert "123456789" not in str([p.model_dump() for p in params])


def test_the_log_sweep_finds_personal_data() -> None:
    log = "2026-11-22 INFO wijkregistratie.access GET /v1/cases/{caseId} 200 3.1ms\n"
    assert leaked(log, {"Jansen", "111222333"}) == []
    assert leaked(log + "ERROR something about Jansen 111222333\n", {"Jansen", "111222333"}) == ["111222333", "Jansen"]


@pytest.mark.parametrize("when", [0, 1767225600, 1.5])
def test_a_date_or_time_given_as_a_number_is_refused(when: float) -> None:
    # Pydantic alone would read a number as seconds since 1970.
    with pytest.raises(ValidationError) as refused:
        JournalEntryCreate.model_validate({"kind": "home_visit", "occurredAt": when, "text": "x"})
    assert [e["loc"] for e in refused.value.errors()] == [("occurredAt",)]
    given = JournalEntryCreate.model_validate(
        {"kind": "home_visit", "occurredAt": "2026-03-05T10:00:00+01:00", "text": "x"}
    )
    assert given.occurred_at.isoformat() == "2026-03-05T10:00:00+01:00"


def test_the_contract_says_which_fields_a_member_needs() -> None:
    schema = MemberCreate.model_json_schema(by_alias=True)
    assert [option["required"] for option in schema["anyOf"]] == [["bsn"], ["givenNames", "dateOfBirth"]]
