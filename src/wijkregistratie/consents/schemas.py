import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.schemas import ApiModel

_EXAMPLE: dict[str, Any] = {
    "memberId": "1c1b8e3f-5e4d-4a9a-876c-1f8f2b9d016f",
    "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
    "purpose": "Schuldhulp: gegevens delen met het buurtteam voor het plan van aanpak.",
    "givenOn": "2026-03-10",
    "expiresOn": "2027-03-10",
}


class ConsentCreate(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    member_id: uuid.UUID = Field(description="The member of this household who gives consent.")
    organisation_id: uuid.UUID = Field(description="The organisation that may take part.")
    purpose: str = Field(min_length=1, max_length=500)
    given_on: date
    expires_on: date | None = None


class ConsentWithdrawal(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"withdrawnOn": "2026-05-01"}]})

    withdrawn_on: date


class ConsentRead(ConsentCreate):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _EXAMPLE
                | {
                    "id": "8e3f5e4d-0a9a-476c-9f8f-2b9d016f1c1b",
                    "householdId": "4d0a9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e",
                    "active": True,
                    "version": 1,
                    "createdAt": "2026-03-10T15:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    household_id: uuid.UUID
    withdrawn_on: date | None = None
    active: bool = Field(description="Given, not expired and not withdrawn today.")
    version: int = Field(ge=1)
    created_at: datetime
