import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.identifiers import CBS_AREA_PATTERN
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel

AreaCode = Annotated[str, Field(pattern=CBS_AREA_PATTERN, max_length=10)]

_EXAMPLE: dict[str, Any] = {
    "name": "Buurtteam Feijenoord",
    "municipalityCode": "GM0599",
    "areaCodes": ["WK059915", "BU05991601"],
    "firstContactTargetDays": 3,
    "organisationIds": ["6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01"],
}


class TeamCreate(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    name: str = Field(min_length=1, max_length=200)
    municipality_code: str = Field(pattern=r"^GM[0-9]{4}$", description="CBS municipality code.")
    area_codes: list[AreaCode] = Field(
        min_length=1,
        max_length=200,
        description="CBS codes of the area served: municipality, districts (WK) or neighbourhoods (BU).",
    )
    first_contact_target_days: int = Field(
        default=3, ge=1, le=60, description="Days within which a signal should have its first contact."
    )
    organisation_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class TeamRead(TeamCreate):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [_EXAMPLE | {"id": "2a4d9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e", "createdAt": "2026-01-05T09:00:00Z"}]
        },
    )

    id: uuid.UUID
    created_at: datetime


class TeamPage(Page[TeamRead]):
    """One page of Team items."""
