import uuid
from datetime import date, datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from wijkregistratie.core.codes import CaseStatus
from wijkregistratie.core.columns import (
    code_field,
    id_field,
    optional_timestamp_field,
    partial_index,
    record_key_field,
    text_field,
    timestamp_field,
)


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        # One household, one open case: the database holds the line even against racing writers.
        partial_index("uq_cases_one_open_per_household", "household_id", where="status <> 'closed'", unique=True),
        Index("ix_cases_team_opened", "team_id", "opened_at"),
        Index("ix_cases_closed_at", "closed_at"),
    )

    id: uuid.UUID = id_field()
    household_id: uuid.UUID = Field(foreign_key="households.id", index=True)
    team_id: uuid.UUID = Field(foreign_key="teams.id")
    status: str = code_field(default=CaseStatus.registered.value)
    opened_at: datetime = timestamp_field(index=True)
    closed_at: datetime | None = optional_timestamp_field()
    closure_reason: str | None = code_field(default=None)
    # On closure: did the team handle it, or did it go to specialist (second-line) care?
    handled_by: str | None = code_field(default=None)
    learning_note: str | None = Field(default=None, sa_type=Text)
    opened_by_organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    # Kept for the figures, so they need no joins: the neighbourhood, when the first signal came in, and how
    # many organisations were ever involved.
    buurt_code: str | None = text_field(10, default=None)
    first_signal_at: datetime | None = optional_timestamp_field()
    organisations_involved: int = 0
    # Set when the household's file was erased: the row stays, emptied, so the figures keep counting it.
    erased_at: datetime | None = optional_timestamp_field()
    record_key: int = record_key_field()
    # Bumped on every change of status, team or lead; the ETag of the case.
    version: int = 1


class LeadAssignment(SQLModel, table=True):
    """Who led a case when. Exactly one open assignment while a case is active."""

    __tablename__ = "lead_assignments"
    __table_args__ = (
        partial_index("uq_lead_assignments_one_current", "case_id", where="ended_at IS NULL", unique=True),
    )

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    started_at: datetime = timestamp_field()
    ended_at: datetime | None = optional_timestamp_field()
    assigned_by_client_id: str = text_field(100)


class Involvement(SQLModel, table=True):
    """An organisation taking part in a case, on a lawful basis, with its own reference."""

    __tablename__ = "involvements"
    __table_args__ = (
        partial_index("uq_involvements_current", "case_id", "organisation_id", where="until IS NULL", unique=True),
        # The identity map: an organisation's own reference points at one current involvement.
        partial_index(
            "uq_involvements_own_reference",
            "organisation_id",
            "own_reference",
            where="until IS NULL AND own_reference IS NOT NULL",
            unique=True,
        ),
        Index("ix_involvements_organisation", "organisation_id", "case_id"),
    )

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    role: str = code_field()
    basis: str = code_field()
    basis_reference: str = text_field(200)
    own_reference: str | None = text_field(100, default=None)
    consent_id: uuid.UUID | None = Field(default=None, foreign_key="consents.id")
    since: date
    until: date | None = None
    version: int = 1
    created_at: datetime = timestamp_field()
