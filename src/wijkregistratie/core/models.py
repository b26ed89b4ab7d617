"""Column helpers shared by the tables of every domain."""

import uuid
from typing import Any

from sqlalchemy import Index, String, text
from sqlmodel import Field

from wijkregistratie.core.database import JsonDocument, UTCDateTime, utcnow


def id_field() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def timestamp_field(*, index: bool = False) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, index=index)


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
