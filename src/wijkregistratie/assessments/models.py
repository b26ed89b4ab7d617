import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import code_field, id_field, json_field, text_field, timestamp_field


class AssessmentInstrument(SQLModel, table=True):
    """A self-sufficiency instrument in one version, with its domains and the meaning of each score. An
    administrator adds one (Groningen's 15 leefgebieden, a new ZRM) and retires it; an assessment keeps the
    version it was taken with."""

    __tablename__ = "assessment_instruments"

    code: str = Field(max_length=40, primary_key=True)
    version: str = Field(max_length=20, primary_key=True)
    name: str = text_field(100)
    domains: list[dict[str, str]] = json_field()
    scores: dict[str, str] = json_field(dict)
    retired_on: date | None = None
    created_at: datetime = timestamp_field()


class Assessment(SQLModel, table=True):
    """A self-sufficiency measurement (or target) of a case at a date, on the domains that matter only."""

    __tablename__ = "assessments"

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    instrument: str = code_field()
    instrument_version: str = text_field(20)
    kind: str = code_field()
    assessed_on: date
    assessor_professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
    scores: dict[str, int] = json_field(dict)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    created_at: datetime = timestamp_field()


class AssessmentChange(SQLModel, table=True):
    """Per case and domain, the first and the latest measured score; kept up to date with every measurement
    so the figures read one row per case and domain instead of unnesting every assessment."""

    __tablename__ = "assessment_changes"

    case_id: uuid.UUID = Field(foreign_key="cases.id", primary_key=True)
    instrument_version: str = Field(max_length=20, primary_key=True)
    domain: str = Field(max_length=50, primary_key=True)
    first_on: date
    first_score: int
    latest_on: date
    latest_score: int
    measurements: int = 1
