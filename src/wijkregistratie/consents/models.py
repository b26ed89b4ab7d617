import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import id_field, text_field, timestamp_field


class Consent(SQLModel, table=True):
    """A member's consent for an organisation to take part, for a purpose, until withdrawn or expired."""

    __tablename__ = "consents"

    id: uuid.UUID = id_field()
    household_id: uuid.UUID = Field(foreign_key="households.id", index=True)
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    purpose: str = text_field(500)
    given_on: date
    expires_on: date | None = None
    withdrawn_on: date | None = None
    recorded_by_organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    version: int = 1
    created_at: datetime = timestamp_field()
