"""The tables of the HTTP edge itself: the access log and the idempotency keys.

Neither belongs to a part of the record: every route that serves personal data writes the log, and
every authenticated POST may carry a key.
"""

import uuid
from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import SequenceNumber, code_field, json_field, text_field, timestamp_field


class AccessLogEntry(SQLModel, table=True):
    """One look at, or change of, personal data (NEN 7513): who, what, when, why, from where, outcome."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_case_at", "case_id", "at"),
        Index("ix_access_log_household_at", "household_id", "at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(SequenceNumber, primary_key=True, autoincrement=True))
    at: datetime = timestamp_field(index=True)
    client_id: str | None = text_field(100, default=None)
    organisation_id: uuid.UUID | None = None
    professional_id: uuid.UUID | None = Field(default=None, description="The professional the client acts for.")
    action: str = code_field()  # read, list, create, change, erase
    method: str = text_field(10)
    route: str = text_field(200)
    resource_type: str = text_field(40)
    resource_id: str | None = text_field(60, default=None)
    case_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    purpose: str | None = text_field(40, default=None)
    source_address: str | None = text_field(64, default=None)
    status: int
    outcome: str = code_field()  # allowed, refused, failed


class IdempotencyRecord(SQLModel, table=True):
    """An Idempotency-Key a client used, with the answer its request got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("client_id", "key", name="uq_idempotency_keys_client_key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: str = text_field(100)
    key: str = text_field(255)
    request_hash: str = text_field(64)
    state: str = code_field(default="in_progress")  # in_progress, committed, completed
    status_code: int | None = None
    headers: list[list[str]] = json_field()
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
    # Whose file the answer shows: it is given again only while the caller may still see it, and an
    # erasure of the household removes it.
    case_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = Field(default=None, index=True)
    created_at: datetime = timestamp_field(index=True)
