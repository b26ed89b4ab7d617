import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.codes import LawfulBasis, ReferralOutcome, ReferralStatus
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel

_EXAMPLE: dict[str, Any] = {
    "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
    "reason": "Schulden boven de 10.000 euro; budgetbeheer nodig.",
    "basis": "consent",
    "basisReference": "toestemming 2026-03-10",
}


class ReferralCreate(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    organisation_id: uuid.UUID = Field(description="The organisation referred to.")
    service_id: uuid.UUID | None = Field(default=None, description="The service of the directory, if any.")
    reason: str = Field(min_length=1, max_length=4000)
    basis: LawfulBasis = Field(description="The basis on which the receiver will take part.")
    basis_reference: str = Field(min_length=1, max_length=200)
    consent_id: uuid.UUID | None = Field(
        default=None, description="With basis `consent`: the consent in force for the organisation referred to."
    )


class ReferralStatusUpdate(ApiModel):
    """The next step. A reason is required to reject or cancel; an outcome closes the loop."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "accepted"},
                {"status": "rejected", "reason": "Geen plek tot juni.", "outcome": "no_capacity"},
                {"status": "completed", "outcome": "got_help"},
            ]
        }
    )

    status: ReferralStatus
    reason: str | None = Field(default=None, min_length=1, max_length=2000)
    outcome: ReferralOutcome | None = None


class ReferralStep(ApiModel):
    model_config = ConfigDict(extra="ignore")

    status: ReferralStatus
    reason: str | None = Field(default=None, max_length=2000)
    outcome: ReferralOutcome | None = None
    organisation_id: uuid.UUID
    at: datetime


class ReferralRead(ReferralCreate):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _EXAMPLE
                | {
                    "id": "2b9d016f-1c1b-4e3f-9e4d-0a9a576c1f8f",
                    "caseId": "0b8f6f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
                    "fromOrganisationId": "9a576c1f-8f2b-4d01-8f1c-1b8e3f5e4d0a",
                    "status": "requested",
                    "version": 1,
                    "history": [
                        {
                            "status": "requested",
                            "organisationId": "9a576c1f-8f2b-4d01-8f1c-1b8e3f5e4d0a",
                            "at": "2026-03-10T15:00:00Z",
                        }
                    ],
                    "createdAt": "2026-03-10T15:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    case_id: uuid.UUID
    from_organisation_id: uuid.UUID
    status: ReferralStatus
    status_reason: str | None = Field(default=None, max_length=2000)
    outcome: ReferralOutcome | None = None
    version: int = Field(ge=1)
    history: list[ReferralStep] = Field(max_length=100)
    created_at: datetime


class ReferralPage(Page[ReferralRead]):
    """One page of referrals."""
