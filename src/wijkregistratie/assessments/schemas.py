import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.codes import AssessmentKind
from wijkregistratie.core.schemas import ApiModel

_EXAMPLE: dict[str, Any] = {
    "instrument": "zrm",
    "instrumentVersion": "2017",
    "kind": "measured",
    "assessedOn": "2026-03-10",
    "assessorProfessionalId": "9d016f1c-1b8e-4f5e-8d0a-9a576c1f8f2b",
    "scores": [{"domain": "finances", "score": 2}, {"domain": "housing", "score": 3}],
}


class DomainScore(ApiModel):
    domain: str = Field(min_length=1, max_length=50, description="A domain code of the instrument.")
    score: int = Field(ge=1, le=5, description="1 acute problematiek … 5 volledig zelfredzaam.")


class AssessmentCreate(ApiModel):
    """Score only the domains that matter: scoring every domain by default is not lawful (Dutch DPA, 2018)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    instrument: str = Field(min_length=1, max_length=40, description="Instrument code, e.g. `zrm`.")
    instrument_version: str = Field(min_length=1, max_length=20, description="e.g. `2013` or `2017`.")
    kind: AssessmentKind
    assessed_on: date
    assessor_professional_id: uuid.UUID | None = None
    scores: list[DomainScore] = Field(min_length=1, max_length=20)


class AssessmentRead(AssessmentCreate):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _EXAMPLE
                | {
                    "id": "6c1f8f2b-9d01-4f1c-9b8e-3f5e4d0a9a57",
                    "caseId": "0b8f6f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
                    "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
                    "createdAt": "2026-03-10T15:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    case_id: uuid.UUID
    organisation_id: uuid.UUID
    created_at: datetime


class TrendPoint(ApiModel):
    assessed_on: date
    score: int = Field(ge=1, le=5)


class DomainTrend(ApiModel):
    domain: str = Field(max_length=50)
    measured: list[TrendPoint] = Field(max_length=1000, description="Measured scores, oldest first.")
    target: TrendPoint | None = Field(default=None, description="The latest target score.")
    change: int | None = Field(default=None, description="Latest measured score minus the first.")


class AssessmentTrend(ApiModel):
    instrument: str = Field(max_length=40)
    instrument_version: str = Field(max_length=20)
    domains: list[DomainTrend] = Field(max_length=20)


class InstrumentDomain(ApiModel):
    code: str = Field(max_length=50)
    name: str = Field(max_length=100)


class Instrument(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "zrm",
                    "version": "2017",
                    "name": "Zelfredzaamheid-Matrix 2017",
                    "domains": [{"code": "finances", "name": "Financiën"}],
                    "scores": {"1": "acute problematiek", "5": "volledig zelfredzaam"},
                }
            ]
        }
    )

    code: str = Field(max_length=40)
    version: str = Field(max_length=20)
    name: str = Field(max_length=100)
    domains: list[InstrumentDomain] = Field(max_length=30)
    scores: dict[str, str] = Field(description="The meaning of each score.")
