import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from wijkregistratie.core.columns import id_field, json_field, timestamp_field


class PlanVersion(SQLModel, table=True):
    """One version of a case's plan. Versions are only ever added; the highest is current."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("case_id", "version", name="uq_plan_versions_case_version"),)

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    version: int
    content: dict[str, Any] = json_field(dict)
    created_at: datetime = timestamp_field()
    created_by_organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    created_by_professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
