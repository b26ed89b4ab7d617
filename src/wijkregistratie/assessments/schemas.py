import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field, field_validator

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


CODE_PATTERN = r"^[a-z][a-z0-9_]{0,49}$"
SCORE_MEANINGS = {
    "1": "acute problematiek",
    "2": "niet zelfredzaam",
    "3": "beperkt zelfredzaam",
    "4": "voldoende zelfredzaam",
    "5": "volledig zelfredzaam",
}
_INSTRUMENT_EXAMPLE: dict[str, Any] = {
    "code": "leefgebieden_groningen",
    "version": "2026",
    "name": "15 leefgebieden (Groningen)",
    "domains": [{"code": "finances", "name": "Financiën"}, {"code": "language", "name": "Taal"}],
    "scores": SCORE_MEANINGS,
}


class InstrumentDomain(ApiModel):
    code: str = Field(pattern=CODE_PATTERN, max_length=50)
    name: str = Field(min_length=1, max_length=100)


class InstrumentCreate(ApiModel):
    """A new instrument, or a new version of one: its domains and what each score from 1 to 5 means."""

    model_config = ConfigDict(json_schema_extra={"examples": [_INSTRUMENT_EXAMPLE]})

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", max_length=40, description="e.g. `zrm`.")
    version: str = Field(pattern=r"^[A-Za-z0-9._-]{1,20}$", max_length=20, description="e.g. `2017`.")
    name: str = Field(min_length=1, max_length=100)
    domains: list[InstrumentDomain] = Field(min_length=1, max_length=30, description="Each domain code once.")
    scores: dict[str, str] = Field(
        default_factory=lambda: dict(SCORE_MEANINGS),
        description="The meaning of each score 1 to 5; by default the ZRM's.",
        json_schema_extra={"propertyNames": {"enum": list(SCORE_MEANINGS)}},
    )

    @field_validator("domains")
    @classmethod
    def _each_domain_once(cls, value: list[InstrumentDomain]) -> list[InstrumentDomain]:
        codes = [d.code for d in value]
        twice = next((c for i, c in enumerate(codes) if c in codes[:i]), None)
        if twice is not None:
            raise ValueError(f"domain {twice} is named twice")
        return value

    @field_validator("scores")
    @classmethod
    def _scores_one_to_five(cls, value: dict[str, str]) -> dict[str, str]:
        if set(value) != set(SCORE_MEANINGS) or not all(0 < len(m) <= 100 for m in value.values()):
            raise ValueError("give the meaning (1 to 100 characters) of each score 1, 2, 3, 4 and 5")
        return value


class Instrument(InstrumentCreate):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [_INSTRUMENT_EXAMPLE | {"retiredOn": None}]}
    )

    retired_on: date | None = Field(
        default=None, description="From this day no new assessment is taken with it; earlier ones keep it."
    )


class InstrumentRetire(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"retiredOn": "2026-12-31"}]})

    retired_on: date | None = Field(default=None, description="The first day it is no longer used; today if left out.")
