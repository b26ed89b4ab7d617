import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import code_field, id_field, optional_timestamp_field, timestamp_field


class Match(SQLModel, table=True):
    """Two organisations around one household: who to call, never why (the Verwijsindex model)."""

    __tablename__ = "matches"

    id: uuid.UUID = id_field()
    household_id: uuid.UUID = Field(foreign_key="households.id", index=True)
    # The open case, or the closed one whose former lead is suggested; none while both signals are in triage.
    case_id: uuid.UUID | None = Field(default=None, foreign_key="cases.id", index=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id", index=True)
    # The organisation that just came in (by a signal or an involvement) and the one already there.
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    counterpart_organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    trigger: str = code_field()
    relation: str = code_field()
    signal_id: uuid.UUID | None = Field(default=None, foreign_key="signals.id")
    counterpart_signal_id: uuid.UUID | None = Field(default=None, foreign_key="signals.id")
    # Whom to call at the counterpart: the lead, the former lead, or who registered the other signal.
    counterpart_professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
    created_at: datetime = timestamp_field(index=True)
    expires_at: datetime = timestamp_field(index=True)
    contact_recorded_at: datetime | None = optional_timestamp_field()
    contact_recorded_by_organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisations.id")
