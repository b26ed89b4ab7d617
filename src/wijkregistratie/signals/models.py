import uuid
from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from wijkregistratie.core.codes import SignalStatus, Urgency
from wijkregistratie.core.models import code_field, id_field, json_field, timestamp_field


class Signal(SQLModel, table=True):
    __tablename__ = "signals"
    __table_args__ = (
        Index("ix_signals_team_status", "team_id", "status"),
        Index("ix_signals_reporter_registered", "reporting_organisation_id", "registered_at"),
    )

    id: uuid.UUID = id_field()
    household_id: uuid.UUID = Field(foreign_key="households.id", index=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id")
    reporting_organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    registered_by_professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
    source: str = code_field()
    life_domains: list[str] = json_field()
    description: str = Field(sa_type=Text)
    urgency: str = code_field(default=Urgency.normal.value)
    resident_aware: bool = False
    status: str = code_field(default=SignalStatus.open.value)
    case_id: uuid.UUID | None = Field(default=None, foreign_key="cases.id", index=True)
    registered_at: datetime = timestamp_field(index=True)
