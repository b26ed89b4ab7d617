import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import SignalStatus, Urgency
from wijkregistratie.core.columns import (
    JsonDocument,
    code_field,
    id_field,
    json_field,
    optional_timestamp_field,
    partial_index,
    record_key_field,
    text_field,
    timestamp_field,
)


class Signal(SQLModel, table=True):
    __tablename__ = "signals"
    __table_args__ = (
        Index("ix_signals_team_status", "team_id", "status"),
        Index("ix_signals_reporter_registered", "reporting_organisation_id", "registered_at"),
        # The figures count these two small sets live, whatever the size of the history.
        partial_index("ix_signals_awaiting_contact", "registered_at", where="first_contact_on IS NULL"),
        partial_index("ix_signals_waiting", "registered_at", where="status IN ('open', 'in_triage')"),
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
    # Who called the team from outside (a GP, a school, a volunteer): name, organisation, how to reach them,
    # and whether they want to hear back. Personal data of its own: emptied with the household's file.
    reporter: dict[str, Any] | None = Field(default=None, sa_type=JsonDocument)
    # A household that comes back after its case closed: the lead of that case, suggested to the coordinator.
    former_lead_professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
    status: str = code_field(default=SignalStatus.open.value)
    case_id: uuid.UUID | None = Field(default=None, foreign_key="cases.id", index=True)
    registered_at: datetime = timestamp_field(index=True)
    # When it left the triage queue (accepted, declined or forwarded): the waiting list of any past moment.
    triaged_at: datetime | None = optional_timestamp_field()
    # The neighbourhood (CBS BU code) at registration: figures group by where it happened, without a join.
    buurt_code: str | None = text_field(10, default=None)
    # Triage: the organisation it was forwarded to, why it was declined or forwarded, and first contact.
    forwarded_to_organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisations.id", index=True)
    triage_reason: str | None = Field(default=None, sa_type=Text)
    planned_first_contact_on: date | None = None
    first_contact_on: date | None = None
    # Set when the household's file was erased: the row stays, emptied, so the figures keep counting it.
    erased_at: datetime | None = optional_timestamp_field()
    record_key: int = record_key_field()
    version: int = 1

    def leave_queue(self, status: SignalStatus) -> None:
        self.status = status
        self.triaged_at = utcnow()


class SignalAssignment(SQLModel, table=True):
    """A professional who takes up a signal; teams go out in pairs, so at most two."""

    __tablename__ = "signal_assignments"

    signal_id: uuid.UUID = Field(foreign_key="signals.id", primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id", primary_key=True, index=True)
    assigned_at: datetime = timestamp_field()


class TriageAction(SQLModel, table=True):
    """Who did what to a signal, and when."""

    __tablename__ = "triage_actions"

    id: uuid.UUID = id_field()
    signal_id: uuid.UUID = Field(foreign_key="signals.id", index=True)
    action: str = code_field()
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
    client_id: str = Field(max_length=100)
    details: dict[str, Any] = json_field(dict)
    at: datetime = timestamp_field()
