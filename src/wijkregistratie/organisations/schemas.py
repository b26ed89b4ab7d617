import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.codes import OrganisationKind
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel

PHONE_PATTERN = r"^\+?[0-9 ()-]{6,20}$"
# No spaces and no control characters, spelt out so every regex dialect (the contract's, Python's) agrees.
_EMAIL_PART = r"[^@\s\x00-\x1f\x7f-\x9f\ufeff]+"
EMAIL_PATTERN = rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$"

_EXAMPLE: dict[str, Any] = {
    "name": "Schuldhulp Zuid",
    "kind": "debt_assistance",
    "kvkNumber": "12345678",
    "contactName": "Fatima el Amrani",
    "contactPhone": "010-1234567",
    "contactEmail": "wijkteam@schuldhulpzuid.example",
}


class OrganisationCreate(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind
    kvk_number: str | None = Field(default=None, pattern=r"^[0-9]{8}$", description="Chamber of Commerce number.")
    agb_code: str | None = Field(default=None, pattern=r"^[0-9]{8}$", description="AGB code (care providers).")
    contact_name: str | None = Field(default=None, max_length=200, description="The contact person (kartrekker).")
    contact_phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    contact_email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)


class OrganisationRead(OrganisationCreate):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _EXAMPLE
                | {
                    "id": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
                    "version": 1,
                    "createdAt": "2026-01-05T09:00:00Z",
                    "updatedAt": "2026-01-05T09:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime


class OrganisationUpdate(ApiModel):
    """What changes; fields left out stay as they are. Identifiers and contact details may be set to null."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"contactName": "Joost Bakker", "contactPhone": "010-7654321"}]}
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kvk_number: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    agb_code: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    contact_name: str | None = Field(default=None, max_length=200, description="The contact person (kartrekker).")
    contact_phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    contact_email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)


class OrganisationPage(Page[OrganisationRead]):
    """One page of Organisation items."""
