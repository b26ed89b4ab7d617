import uuid
from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import SQLModel

from wijkregistratie.core.columns import code_field, id_field, text_field, timestamp_field


class Reminder(SQLModel, table=True):
    """That a due item was announced: each item is announced once for the day it came due."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("kind", "item_key", "due_on", name="uq_reminders_item"),)

    id: uuid.UUID = id_field()
    kind: str = code_field()
    # The case, signal or referral it is about; for an activity also its place in the plan.
    item_key: str = text_field(100)
    due_on: date
    announced_at: datetime = timestamp_field()
