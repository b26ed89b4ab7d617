import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.schemas import ApiModel
from wijkregistratie.figures.disclosure import CellStatus


class FigureCell(ApiModel):
    model_config = ConfigDict(extra="ignore")

    key: str = Field(max_length=60, description="What the cell counts, as a code.")
    label: str = Field(max_length=120)
    value: float | None = Field(default=None, description="Absent when the cell is secret or suppressed.")
    status: CellStatus


class Indicator(ApiModel):
    model_config = ConfigDict(extra="ignore")

    code: str = Field(max_length=60)
    title: str = Field(max_length=200)
    unit: str = Field(max_length=20, description="`count`, `percent` or `days`.")
    total: FigureCell | None = Field(default=None, description="The total the cells add up to, when they do.")
    cells: list[FigureCell] = Field(max_length=100)


class Selection(ApiModel):
    model_config = ConfigDict(extra="ignore")

    team_id: uuid.UUID | None = None
    area_code: str | None = Field(default=None, max_length=10)
    area_code_year: int | None = Field(default=None, ge=2000, le=2100, description="The vintage of the CBS code.")
    period: str = Field(max_length=30)
    start_date: date = Field(description="First day of the period.")
    end_date: date = Field(description="Last day of the period.")
    as_of: datetime | None = Field(
        default=None,
        description="When the totals were last rebuilt from the registration; the waiting list, overdue first "
        "contacts and lead times are always current.",
    )


class DisclosureRules(ApiModel):
    model_config = ConfigDict(extra="ignore")

    rounded_to: int
    secret_below: int
    min_rate_denominator: int


_EXAMPLE: dict[str, Any] = {
    "selection": {
        "areaCode": "GM0599",
        "areaCodeYear": 2026,
        "period": "2026-Q1",
        "startDate": "2026-01-01",
        "endDate": "2026-03-31",
        "asOf": "2026-04-02T03:00:00Z",
    },
    "disclosure": {"roundedTo": 5, "secretBelow": 8, "minRateDenominator": 20},
    "indicators": [
        {
            "code": "signals-by-source",
            "title": "Signals by source",
            "unit": "count",
            "total": {"key": "total", "label": "Total", "value": 45, "status": "published"},
            "cells": [
                {"key": "school", "label": "School", "value": 20, "status": "published"},
                {"key": "police", "label": "Police", "status": "secret"},
                {"key": "general_practitioner", "label": "General practitioner", "status": "suppressed"},
            ],
        }
    ],
}


class Figures(ApiModel):
    """Aggregate figures for a team or area and a period. No figure identifies a household."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [_EXAMPLE]})

    selection: Selection
    disclosure: DisclosureRules
    indicators: list[Indicator] = Field(max_length=20)


class FiguresRefresh(ApiModel):
    """One rebuild of the running totals the figures are read from."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "id": 17,
                    "startedAt": "2026-04-02T03:00:00Z",
                    "finishedAt": "2026-04-02T03:00:04Z",
                    "lastMonth": "2026-05-01",
                    "rowCount": 120400,
                    "durationMs": 4210,
                }
            ]
        },
    )

    id: int = Field(ge=1)
    started_at: datetime
    finished_at: datetime
    last_month: date = Field(description="The latest month the running totals reach.")
    row_count: int = Field(description="Rows of running totals written.")
    duration_ms: int
