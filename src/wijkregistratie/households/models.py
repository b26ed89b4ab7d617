import uuid
from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from wijkregistratie.core.codes import MemberRole
from wijkregistratie.core.columns import (
    code_field,
    id_field,
    json_field,
    optional_timestamp_field,
    text_field,
    timestamp_field,
)


class Household(SQLModel, table=True):
    __tablename__ = "households"
    __table_args__ = (Index("ix_households_address", "postcode", "house_number", "house_number_addition"),)

    id: uuid.UUID = id_field()
    postcode: str = text_field(6)
    house_number: int
    # '' rather than NULL, so the address index and equality matching treat "no addition" alike.
    house_number_addition: str = text_field(6, default="")
    street: str | None = text_field(200, default=None)
    city: str | None = text_field(100, default=None)
    buurt_code: str | None = text_field(10, default=None, index=True)
    phone: str | None = text_field(30, default=None)
    email: str | None = text_field(254, default=None)
    created_by_organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    version: int = 1
    created_at: datetime = timestamp_field(index=True)
    updated_at: datetime = timestamp_field()
    # Set when the household's file was erased: the row stays, emptied, so the figures keep counting it.
    erased_at: datetime | None = optional_timestamp_field()


class Member(SQLModel, table=True):
    """A person in a household. The BSN is kept encrypted and found through a keyed hash."""

    __tablename__ = "members"

    id: uuid.UUID = id_field()
    household_id: uuid.UUID = Field(foreign_key="households.id", index=True)
    given_names: str | None = text_field(200, default=None)
    surname: str = text_field(200)
    date_of_birth: date | None = None
    role: str = code_field(default=MemberRole.other.value)
    bsn_hash: str | None = Field(default=None, max_length=64, unique=True)
    bsn_encrypted: str | None = text_field(500, default=None)
    phone: str | None = text_field(30, default=None)
    email: str | None = text_field(254, default=None)
    # The day the person left the household (moved out, passed away): kept, no longer a current member.
    left_on: date | None = None
    version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class Correction(SQLModel, table=True):
    """A correction of a household's file (the right to rectification, AVG art. 16): which fields, of whom,
    by whom and when. The values themselves are the file's; none are kept here."""

    __tablename__ = "household_corrections"

    id: uuid.UUID = id_field()
    household_id: uuid.UUID = Field(foreign_key="households.id", index=True)
    member_id: uuid.UUID | None = Field(default=None, foreign_key="members.id")
    fields: list[str] = json_field()
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    client_id: str = text_field(100)
    at: datetime = timestamp_field()
