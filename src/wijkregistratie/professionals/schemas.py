import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.codes import LifeDomain
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel
from wijkregistratie.organisations.schemas import EMAIL_PATTERN, PHONE_PATTERN

_EXAMPLE: dict[str, Any] = {
    "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
    "name": "Sanne de Vries",
    "email": "s.devries@welzijnzuid.example",
    "phone": "06-12345678",
    "expertise": ["finances", "domestic_relations"],
    "teamIds": ["2a4d9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e"],
}


class ProfessionalCreate(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    organisation_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    expertise: list[LifeDomain] = Field(
        default_factory=list, max_length=13, description="Life domains the professional is expert in."
    )
    team_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20, description="Teams they work in.")


class ProfessionalRead(ProfessionalCreate):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _EXAMPLE
                | {
                    "id": "9d016f1c-1b8e-4f5e-8d0a-9a576c1f8f2b",
                    "leftOn": None,
                    "version": 1,
                    "createdAt": "2026-01-05T09:00:00Z",
                    "updatedAt": "2026-01-05T09:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    left_on: date | None = Field(
        default=None, description="Their last working day: after it they are assigned nothing."
    )
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime


class ProfessionalUpdate(ApiModel):
    """What changes; fields left out stay as they are. `email`, `phone` and `leftOn` may be set to null."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"expertise": ["finances", "housing"]}, {"leftOn": "2026-06-30"}]}
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    expertise: list[LifeDomain] | None = Field(default=None, max_length=13)
    team_ids: list[uuid.UUID] | None = Field(default=None, max_length=20)
    left_on: date | None = Field(default=None, description="Their last working day.")


class ProfessionalContact(ApiModel):
    """Who to call: name, organisation and how to reach them. Never anything about the household."""

    professional_id: uuid.UUID
    name: str = Field(max_length=200)
    organisation_id: uuid.UUID
    organisation_name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)


class ProfessionalPage(Page[ProfessionalRead]):
    """One page of Professional items."""
