from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel

MUNICIPALITY_PATTERN = r"^GM[0-9]{4}$"
_EXAMPLE: dict[str, Any] = {"code": "GM0599", "name": "Rotterdam"}


class MunicipalityCreate(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    code: str = Field(pattern=MUNICIPALITY_PATTERN, description="The CBS municipality code.")
    name: str = Field(min_length=1, max_length=200)


class MunicipalityRead(MunicipalityCreate):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _EXAMPLE | {"version": 1, "createdAt": "2026-01-05T09:00:00Z", "updatedAt": "2026-01-05T09:00:00Z"}
            ]
        },
    )

    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime


class MunicipalityPage(Page[MunicipalityRead]):
    """One page of municipalities."""
