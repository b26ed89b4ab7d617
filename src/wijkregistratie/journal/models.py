import uuid
from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import UTCDateTime, code_field, id_field, json_field, timestamp_field


class JournalEntry(SQLModel, table=True):
    """A contact moment or note. Visible to the own organisation only unless shared with all involved."""

    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_case_occurred", "case_id", "occurred_at"),)

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id")
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
    kind: str = code_field()
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    participants: list[str] = json_field()
    text: str = Field(sa_type=Text)
    visibility: str = code_field()
    created_at: datetime = timestamp_field()
