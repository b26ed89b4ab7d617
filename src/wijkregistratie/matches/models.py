import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import code_field, id_field, optional_timestamp_field, timestamp_field


class Match(SQLModel, table=True):
    """Two organisations around one household: who to call, never why (the Verwijsindex model)."""

    __tablename__ = "matches"

    id: uuid.UUID = id_field()
    household_id: uuid.UUID = Field(foreign_key="households.id", index=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True)
    # The organisation that just came in (by a signal or an involvement) and the one already involved.
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    counterpart_organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    trigger: str = code_field()
    signal_id: uuid.UUID | None = Field(default=None, foreign_key="signals.id")
    created_at: datetime = timestamp_field(index=True)
    contact_recorded_at: datetime | None = optional_timestamp_field()
    contact_recorded_by_organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisations.id")
