import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from wijkregistratie.core.codes import MemberRole
from wijkregistratie.core.identifiers import (
    BSN_PATTERN,
    BUURT_CODE_PATTERN,
    POSTCODE_PATTERN,
    normalise_postcode,
    validate_bsn,
)
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel, requires_one_of
from wijkregistratie.organisations.schemas import EMAIL_PATTERN, PHONE_PATTERN

# Schemas holding an address carry no example: the API Design Rules linter reads any key containing
# "post" (as in postcode) below `paths` as an HTTP method, and would demand a 400 response of it.


class Address(ApiModel):
    postcode: str = Field(
        min_length=6,
        max_length=7,
        description="Dutch postcode, 1234AB (a space is accepted and removed).",
        json_schema_extra={"pattern": POSTCODE_PATTERN},
    )
    house_number: int = Field(ge=1, le=99999)
    house_number_addition: str | None = Field(default=None, max_length=6, pattern=r"^[A-Za-z0-9 -]{1,6}$")
    street: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    buurt_code: str | None = Field(
        default=None, pattern=BUURT_CODE_PATTERN, description="CBS neighbourhood code (BUggggwwbb)."
    )

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str) -> str:
        return normalise_postcode(value)

    @field_validator("house_number_addition")
    @classmethod
    def _addition(cls, value: str | None) -> str | None:
        return value.upper() if value else None


MEMBER_EXAMPLE: dict[str, Any] = {
    "givenNames": "Anouk Maria",
    "surname": "Jansen",
    "dateOfBirth": "1986-04-17",
    "role": "applicant",
    "bsn": "111222333",
    "phone": "06-12345678",
}


def _plausible_birth(value: date | None) -> date | None:
    if value is not None and (value > date.today() or value.year < 1900):
        raise ValueError("a date of birth lies between 1900 and today")
    return value


class MemberCreate(ApiModel):
    """A person. Without a BSN the legal fallback set is needed: surname, given names, date of birth."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [MEMBER_EXAMPLE]} | requires_one_of(("bsn",), ("givenNames", "dateOfBirth"))
    )

    given_names: str | None = Field(default=None, min_length=1, max_length=200)
    surname: str = Field(min_length=1, max_length=200)
    date_of_birth: date | None = None
    role: MemberRole = MemberRole.other
    bsn: str | None = Field(
        default=None,
        min_length=8,
        max_length=9,
        description="Citizen service number; checked with the 11-check, stored encrypted, never returned in full "
        "without the `bsn:read` scope.",
        json_schema_extra={"writeOnly": True, "pattern": BSN_PATTERN},
    )
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)

    @field_validator("bsn")
    @classmethod
    def _bsn(cls, value: str | None) -> str | None:
        return validate_bsn(value) if value is not None else None

    @field_validator("date_of_birth")
    @classmethod
    def _born(cls, value: date | None) -> date | None:
        return _plausible_birth(value)

    @model_validator(mode="after")
    def _fallback_set(self) -> "MemberCreate":
        if self.bsn is None and (self.given_names is None or self.date_of_birth is None):
            raise ValueError("without a BSN, givenNames and dateOfBirth are required")
        return self


class MemberRead(ApiModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                MEMBER_EXAMPLE
                | {
                    "id": "1c1b8e3f-5e4d-4a9a-876c-1f8f2b9d016f",
                    "bsn": "******333",
                    "createdAt": "2026-02-01T10:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    given_names: str | None = Field(default=None, max_length=200)
    surname: str = Field(max_length=200)
    date_of_birth: date | None = None
    role: MemberRole
    bsn: str | None = Field(
        default=None,
        max_length=9,
        description="Masked (******333) unless the caller has the `bsn:read` scope.",
    )
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    left_on: date | None = Field(default=None, description="The day the person left the household.")
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime


class HouseholdRead(ApiModel):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    address: Address
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    members: list[MemberRead] = Field(max_length=50, description="Everyone registered, those who left included.")
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime


class HouseholdUpdate(ApiModel):
    """A correction of the household's file: a move (the whole new address, with its neighbourhood code) or
    other contact details. Fields left out stay as they are; `phone` and `email` may be set to null."""

    # The example leaves the address out, for the linter's sake (see above).
    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "010-7654321", "email": "fam@example.org"}]})

    address: Address | None = None
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)


class MemberUpdate(ApiModel):
    """A correction of a member's data, or the day they left the household. Fields left out stay as they
    are; `givenNames`, `dateOfBirth`, `phone`, `email` and `leftOn` may be set to null. The BSN is not
    corrected here: a wrong BSN is a different person, registered anew."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"surname": "Jansen-de Boer"}, {"leftOn": "2026-05-31"}]})

    given_names: str | None = Field(default=None, min_length=1, max_length=200)
    surname: str | None = Field(default=None, min_length=1, max_length=200)
    date_of_birth: date | None = None
    role: MemberRole | None = None
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    left_on: date | None = Field(default=None, description="The day the person left the household.")

    @field_validator("date_of_birth")
    @classmethod
    def _born(cls, value: date | None) -> date | None:
        return _plausible_birth(value)


Name = Annotated[str, Field(min_length=1, max_length=200)]


class HouseholdSearch(ApiModel):
    """Find households by a member's BSN, by address (postcode and house number; without the addition, every
    addition), or by a member's surname and date of birth (narrowed by given names, postcode or house
    number). A BSN travels in the body, never in a URL."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"bsn": "111222333"}, {"surname": "Jansen", "dateOfBirth": "1986-04-17"}],
            # One name per list: the contract's model keeps these lists as they are only then.
            "dependentRequired": {"surname": ["dateOfBirth"], "dateOfBirth": ["surname"], "givenNames": ["surname"]},
        }
        | requires_one_of(("bsn",), ("postcode", "houseNumber"), ("surname", "dateOfBirth"))
    )

    bsn: str | None = Field(default=None, min_length=8, max_length=9, json_schema_extra={"pattern": BSN_PATTERN})
    postcode: str | None = Field(
        default=None, min_length=6, max_length=7, json_schema_extra={"pattern": POSTCODE_PATTERN}
    )
    house_number: int | None = Field(default=None, ge=1, le=99999)
    house_number_addition: str | None = Field(default=None, max_length=6)
    # Not nullable in the contract: a search term is given or left out.
    surname: Name | SkipJsonSchema[None] = Field(default=None, description="Any case; exact.")
    date_of_birth: date | SkipJsonSchema[None] = None
    given_names: Name | SkipJsonSchema[None] = Field(
        default=None, description="With a surname: the given names start so."
    )

    @field_validator("bsn")
    @classmethod
    def _bsn(cls, value: str | None) -> str | None:
        return validate_bsn(value) if value is not None else None

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        return normalise_postcode(value) if value is not None else None

    @field_validator("surname", "date_of_birth", "given_names", mode="before")
    @classmethod
    def _given_or_left_out(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("leave a search term out rather than send null")
        return value

    @model_validator(mode="after")
    def _one_key(self) -> "HouseholdSearch":
        by_person = self.surname is not None and self.date_of_birth is not None
        if self.bsn is None and not by_person and (self.postcode is None or self.house_number is None):
            raise ValueError("give a bsn, a postcode with a houseNumber, or a surname with a dateOfBirth")
        if (self.surname is None) != (self.date_of_birth is None):
            raise ValueError("a surname and a dateOfBirth go together")
        if self.given_names is not None and self.surname is None:
            raise ValueError("givenNames narrow a search by surname and dateOfBirth")
        return self


class HouseholdPage(Page[HouseholdRead]):
    """One page of Household items."""
