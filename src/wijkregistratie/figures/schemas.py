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
    value: int | float | None = Field(
        default=None, description="A count (an integer), or a share, mean or percentile; absent when hidden."
    )
    status: CellStatus = Field(
        description="`published`; `secret` below the minimum for its kind; `suppressed`, a share, mean or "
        "percentile over too few records."
    )


class Indicator(ApiModel):
    model_config = ConfigDict(extra="ignore")

    code: str = Field(max_length=60)
    title: str = Field(max_length=200)
    unit: str = Field(
        max_length=20,
        description="`count`: the cells count records; shares, means and percentiles "
        "among them say so in their key and label.",
    )
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
        description="When the totals were last brought up to date from the registration. The figures of an "
        "ended period were made final at the first refresh after it ended and do not change with later ones.",
    )


class DisclosureRules(ApiModel):
    """How every value was protected: the cell-key method's parameters."""

    model_config = ConfigDict(extra="ignore")

    method: str = Field(max_length=20, description="`cell-key`: noise drawn from a key fixed per record.")
    max_noise: int = Field(description="A published count lies at most this far from the true count.")
    variance: float = Field(description="The variance of the noise on counts from a few upward.")
    not_published_up_to: int = Field(description="No count from 1 up to this value is ever published.")
    sensitive_minimum: int = Field(
        description="Signals about health, substance use, justice or domestic relations are published from "
        "this (perturbed) count on."
    )
    min_rate_denominator: int = Field(description="Shares, means and percentiles need this many records.")


_EXAMPLE: dict[str, Any] = {
    "selection": {
        "areaCode": "GM0599",
        "areaCodeYear": 2026,
        "period": "2026-Q1",
        "startDate": "2026-01-01",
        "endDate": "2026-03-31",
        "asOf": "2026-04-01T03:00:00Z",
    },
    "disclosure": {
        "method": "cell-key",
        "maxNoise": 3,
        "variance": 1.5,
        "notPublishedUpTo": 2,
        "sensitiveMinimum": 10,
        "minRateDenominator": 20,
    },
    "indicators": [
        {
            "code": "signals-by-source",
            "title": "Signalen naar bron",
            "unit": "count",
            "total": {"key": "total", "label": "Totaal", "value": 46, "status": "published"},
            "cells": [
                {"key": "school", "label": "School", "value": 21, "status": "published"},
                {"key": "police", "label": "Politie", "value": 0, "status": "published"},
                {"key": "general_practitioner", "label": "Huisarts", "value": 4, "status": "published"},
            ],
        },
        {
            "code": "signals-by-life-domain",
            "title": "Signalen naar levensdomein",
            "unit": "count",
            "cells": [
                {"key": "finances", "label": "Financiën", "value": 17, "status": "published"},
                {"key": "substance_use", "label": "Middelengebruik", "status": "secret"},
            ],
        },
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
                    "finalBefore": "2026-04-01",
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
    final_before: date | None = Field(
        default=None, description="Every month before this one is final: later refreshes leave it as it is."
    )
    row_count: int = Field(description="Rows of running totals written.")
    duration_ms: int
