import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import id_field, json_field, text_field, timestamp_field


class Professional(SQLModel, table=True):
    __tablename__ = "professionals"

    id: uuid.UUID = id_field()
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    name: str = text_field(200)
    email: str | None = text_field(254, default=None)
    phone: str | None = text_field(30, default=None)
    # Life domains the professional is expert in, so triage picks by expertise.
    expertise: list[str] = json_field()
    # The day after which the professional no longer works here: not assigned any more, their leads handed over.
    left_on: date | None = None
    version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class TeamMembership(SQLModel, table=True):
    __tablename__ = "team_memberships"

    team_id: uuid.UUID = Field(foreign_key="teams.id", primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id", primary_key=True, index=True)
