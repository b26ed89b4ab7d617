import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import (
    SequenceNumber,
    json_field,
    optional_timestamp_field,
    text_field,
    timestamp_field,
)


class AdapterCheckpoint(SQLModel, table=True):
    """How far an adapter got, per partner: moved on only in the transaction that applied the work."""

    __tablename__ = "adapter_checkpoints"

    partner: str = Field(max_length=60, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    pulled_up_to: str = text_field(200, default="")  # the partner's own change marker
    pushed_up_to: int = Field(default=0, sa_column=Column(SequenceNumber, nullable=False, default=0))  # feed position
    # Why the partner cannot be used now (`<cause>: <reason>`, never a record's content), and since when.
    failure: str | None = text_field(300, default=None)
    failing_since: datetime | None = optional_timestamp_field()
    updated_at: datetime = timestamp_field()


class AdapterReference(SQLModel, table=True):
    """The identity map of a partner's clients: its own number for a household it brought in.

    Once the organisation is involved in the household's case, the involvement's own reference names that
    case. Until then the client waits as a signal in the team's triage queue, and what the partner brings
    meanwhile waits here (`waiting`, the partner's last record, since `waiting_since`) to be placed once
    there is a case. `seen` holds the values of the partner's fields already placed on the record, so a
    change is placed once.
    """

    __tablename__ = "adapter_references"

    partner: str = Field(max_length=60, primary_key=True)
    reference: str = Field(max_length=100, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="households.id", index=True)
    signal_id: uuid.UUID | None = Field(default=None, foreign_key="signals.id")
    seen: dict[str, Any] = json_field(dict)
    waiting: dict[str, Any] = json_field(dict)
    waiting_since: datetime | None = optional_timestamp_field()  # when `waiting` came: none waits when unset
    created_at: datetime = timestamp_field()


class AdapterResource(SQLModel, table=True):
    """The identity map of what an adapter keeps in a partner's system: the partner's own id for each
    resource written there (`resource`: its type and our identifier), the version it has, and a digest of
    what was sent, so an unchanged resource is not written again and a changed one is written with the
    version it replaces."""

    __tablename__ = "adapter_resources"

    partner: str = Field(max_length=60, primary_key=True)
    resource: str = Field(max_length=200, primary_key=True)  # `Patient/<member id>`, `CarePlan/<case id>`, ...
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    partner_id: str = text_field(64)
    version_id: str = text_field(64, default="")
    digest: str = text_field(64, default="")
    updated_at: datetime = timestamp_field()
