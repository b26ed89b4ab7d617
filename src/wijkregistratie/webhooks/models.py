import uuid
from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import (
    SequenceNumber,
    code_field,
    json_field,
    optional_timestamp_field,
    partial_index,
    text_field,
    timestamp_field,
)


class Subscription(SQLModel, table=True):
    """An organisation's callback for the events it may see."""

    __tablename__ = "webhook_subscriptions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    # The client that made it: a subscription reaches what that client may see at each delivery (a
    # coordinator's also its teams' events), and nothing once it is disabled.
    client_id: str | None = text_field(100, default=None, index=True)
    url: str = text_field(2000)
    event_types: list[str] = json_field()  # empty: every type
    description: str | None = text_field(200, default=None)
    secret_encrypted: str = text_field(500)
    status: str = code_field(default="active")  # active, disabled (by its owner or a 410), suspended
    disabled_reason: str | None = text_field(200, default=None)
    # A failing subscription backs off as a whole: tries of its oldest waiting delivery that failed in a
    # row, and when it is tried again.
    failures: int = 0
    retry_at: datetime | None = optional_timestamp_field()
    # A worker is delivering it until then (or died doing so, and another takes over after).
    leased_until: datetime | None = optional_timestamp_field()
    # The last feed position handed to deliveries; the worker moves it on in the same transaction.
    cursor: int = Field(default=0, sa_column=Column(SequenceNumber, nullable=False, default=0))
    version: int = 1
    created_at: datetime = timestamp_field()


class Delivery(SQLModel, table=True):
    """One event for one subscription: tried until the receiver takes it, or dead-lettered."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_sequence", name="uq_webhook_deliveries_event"),
        # The worker's queue: per subscription, the oldest waiting delivery first.
        partial_index("ix_webhook_deliveries_waiting", "subscription_id", "event_sequence", where="state = 'pending'"),
        Index("ix_webhook_deliveries_subscription_created", "subscription_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subscription_id: uuid.UUID = Field(foreign_key="webhook_subscriptions.id")
    event_sequence: int = Field(sa_column=Column(SequenceNumber, nullable=False))
    event_id: uuid.UUID
    event_type: str = text_field(100)
    state: str = code_field(default="pending")  # pending, delivered, dead, withdrawn (its owner lost sight)
    attempts: int = 0
    next_attempt_at: datetime = timestamp_field()
    last_status: int | None = None
    last_error: str | None = text_field(300, default=None)
    delivered_at: datetime | None = optional_timestamp_field()
    created_at: datetime = timestamp_field()
