import uuid
from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import SequenceNumber, text_field, timestamp_field


class AdapterCheckpoint(SQLModel, table=True):
    """How far an adapter got, per partner: moved on only in the transaction that applied the work."""

    __tablename__ = "adapter_checkpoints"

    partner: str = Field(max_length=60, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    pulled_up_to: str = text_field(200, default="")  # the partner's own change marker
    pushed_up_to: int = Field(default=0, sa_column=Column(SequenceNumber, nullable=False, default=0))  # feed position
    updated_at: datetime = timestamp_field()


class AdapterReference(SQLModel, table=True):
    """A partner's own number for a household it signalled while the team had a case open already.

    Once the organisation is involved, the involvement's own reference is the identity map; until then
    this keeps a second pull of the same client from registering a second signal.
    """

    __tablename__ = "adapter_references"

    partner: str = Field(max_length=60, primary_key=True)
    reference: str = Field(max_length=100, primary_key=True)
    signal_id: uuid.UUID = Field(foreign_key="signals.id")
    created_at: datetime = timestamp_field()
