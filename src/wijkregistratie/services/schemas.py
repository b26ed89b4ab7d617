import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.codes import LifeDomain
from wijkregistratie.core.identifiers import CBS_AREA_PATTERN
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel
from wijkregistratie.organisations.schemas import EMAIL_PATTERN, PHONE_PATTERN

AreaCode = Annotated[str, Field(pattern=CBS_AREA_PATTERN, max_length=10)]
Pc4Area = Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$", description="A PC4 area: the four digits of a postcode.")]

_EXAMPLE: dict[str, Any] = {
    "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
    "name": "Schuldhulpmaatje",
    "description": "Een getrainde vrijwilliger helpt een jaar lang met de administratie.",
    "lifeDomains": ["finances"],
    "areaCodes": ["GM0599"],
    "pc4Areas": ["3072", "3073"],
    "eligibility": "Inwoners van Rotterdam-Zuid met geldzorgen; geen verwijzing nodig.",
    "phone": "010-3334455",
    "website": "https://schuldhulpmaatje.example",
}


class ServiceWrite(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    organisation_id: uuid.UUID = Field(description="The organisation offering it: the caller's own.")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=4000)
    life_domains: list[LifeDomain] = Field(min_length=1, max_length=13)
    area_codes: list[AreaCode] = Field(default_factory=list, max_length=200, description="CBS codes served.")
    pc4_areas: list[Pc4Area] = Field(default_factory=list, max_length=500)
    eligibility: str | None = Field(default=None, max_length=2000, description="Who can use it, and how.")
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    website: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    visiting_address: str | None = Field(default=None, max_length=300)


class ServiceRead(ServiceWrite):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _EXAMPLE
                | {
                    "id": "5e4d0a9a-576c-4f8f-8b9d-016f1c1b8e3f",
                    "organisationName": "Schuldhulp Zuid",
                    "version": 1,
                    "createdAt": "2026-01-05T09:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    organisation_name: str = Field(max_length=200)
    version: int = Field(ge=1)
    created_at: datetime


class ServicePage(Page[ServiceRead]):
    """One page of services."""
