import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import code_field, id_field, json_field, text_field, timestamp_field


class Erasure(SQLModel, table=True):
    """The receipt of an erased file: whose, when, on what grounds and how many rows; no content."""

    __tablename__ = "erasures"

    id: uuid.UUID = id_field()
    household_id: uuid.UUID = Field(foreign_key="households.id", index=True)
    grounds: str = code_field()  # request, retention
    request_reference: str | None = text_field(100, default=None)
    client_id: str | None = text_field(100, default=None)
    organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisations.id")
    erased_at: datetime = timestamp_field()
    rows: dict[str, Any] = json_field(dict)  # table -> rows deleted or emptied
