import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index
from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import SequenceNumber, json_field, partial_index, text_field, timestamp_field


class Event(SQLModel, table=True):
    """A change to the record, written in the transaction that made it (the transactional outbox).

    `sequence` names the event from its insert on; `position` is its place in the change feed, given
    once no transaction still writing events could come before it (see `events.service.publish`), so
    places are gap-free and a lower one never becomes visible after a higher one.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_case_sequence", "case_id", "sequence"),
        Index("ix_events_team_sequence", "team_id", "sequence"),
        partial_index("ix_events_unnumbered", "sequence", where="position IS NULL"),
        {"sqlite_autoincrement": True},
    )

    sequence: int | None = Field(default=None, sa_column=Column(SequenceNumber, primary_key=True, autoincrement=True))
    position: int | None = Field(default=None, sa_column=Column(SequenceNumber, index=True, unique=True))
    id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    type: str = text_field(100)
    subject: str = text_field(200, default="")
    time: datetime = timestamp_field()
    case_id: uuid.UUID | None = Field(default=None, foreign_key="cases.id")
    signal_id: uuid.UUID | None = Field(default=None, foreign_key="signals.id")
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id")
    organisation_id: uuid.UUID | None = Field(
        default=None, foreign_key="organisations.id", description="The organisation whose change it was."
    )
    # Which of its professionals made the change, where a professional did: the case history names them.
    professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
    data: dict[str, Any] = json_field(dict)


class EventRecipient(SQLModel, table=True):
    """Who may read an event: the organisations that could see its case or signal when it happened."""

    __tablename__ = "event_recipients"
    __table_args__ = (Index("ix_event_recipients_organisation", "organisation_id", "event_sequence"),)

    event_sequence: int = Field(
        sa_column=Column(SequenceNumber, ForeignKey("events.sequence"), primary_key=True, autoincrement=False)
    )
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", primary_key=True)
