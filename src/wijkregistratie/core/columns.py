"""Column types and helpers shared by the tables of every domain."""

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from wijkregistratie.core.clock import utcnow

# JSON documents: JSONB on PostgreSQL, JSON text elsewhere.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")
# A number that orders rows for ever (the feed, the access log, cursors into them): 64 bits on PostgreSQL;
# SQLite numbers only an INTEGER PRIMARY KEY itself, and its INTEGER holds 64 bits anyway.
SequenceNumber = BigInteger().with_variant(Integer(), "sqlite")
# A record's key for the figures' disclosure control: random, fixed when the record is written, never shown.
RECORD_KEY_RANGE = 2**32


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def id_field() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def timestamp_field(*, index: bool = False) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, index=index)


def record_key_field() -> Any:
    return Field(default_factory=lambda: secrets.randbelow(RECORD_KEY_RANGE), sa_type=BigInteger)


def optional_timestamp_field() -> Any:
    return Field(default=None, sa_type=UTCDateTime)


def code_field(*, default: Any = ..., index: bool = False) -> Any:
    """A code from a code list, stored as plain text so new codes need no schema change."""
    return Field(default=default, sa_type=String(40), index=index)


def json_field(default_factory: Any = list) -> Any:
    return Field(default_factory=default_factory, sa_type=JsonDocument)


def text_field(max_length: int, *, default: Any = ..., index: bool = False) -> Any:
    return Field(default=default, sa_type=String(max_length), index=index)


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index over the rows matching `where`, said once for both databases."""
    condition = text(where)
    return Index(name, *columns, unique=unique, sqlite_where=condition, postgresql_where=condition)
