import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from wijkregistratie.core.codes import InvolvementRole, LifeDomain, SignalSource, SignalStatus, Urgency
from wijkregistratie.core.identifiers import validate_bsn
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel
from wijkregistratie.households.schemas import Address, MemberCreate
from wijkregistratie.professionals.schemas import ProfessionalContact


class HouseholdReference(ApiModel):
    """Which household the signal concerns: by id, by a member's BSN or by address.

    When no household matches a BSN or address, one is registered with the address and members given.
    """

    id: uuid.UUID | None = None
    bsn: str | None = Field(default=None, min_length=8, max_length=9, json_schema_extra={"writeOnly": True})
    address: Address | None = None
    members: list[MemberCreate] = Field(default_factory=list, max_length=20)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)

    @field_validator("bsn")
    @classmethod
    def _bsn(cls, value: str | None) -> str | None:
        return validate_bsn(value) if value is not None else None

    @model_validator(mode="after")
    def _some_key(self) -> "HouseholdReference":
        if self.id is None and self.bsn is None and self.address is None:
            raise ValueError("name the household by id, bsn or address")
        return self


_CREATE_EXAMPLE: dict[str, Any] = {
    "household": {"bsn": "111222333"},
    "teamId": "2a4d9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e",
    "source": "housing_corporation",
    "lifeDomains": ["finances", "housing"],
    "description": "Rent arrears of three months; the tenant did not respond to letters.",
    "urgency": "normal",
    "residentAware": True,
}


class SignalCreate(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    household: HouseholdReference
    team_id: uuid.UUID | None = Field(
        default=None,
        description="The team to handle it; by default the team serving the household's neighbourhood.",
    )
    source: SignalSource
    life_domains: list[LifeDomain] = Field(min_length=1, max_length=13)
    description: str = Field(min_length=1, max_length=4000)
    urgency: Urgency = Urgency.normal
    resident_aware: bool = Field(description="Whether the resident knows of and recognises the signal.")

    @field_validator("life_domains")
    @classmethod
    def _distinct(cls, value: list[LifeDomain]) -> list[LifeDomain]:
        if len(set(value)) != len(value):
            raise ValueError("each life domain once")
        return value


_READ_EXAMPLE: dict[str, Any] = {
    "id": "5e4d0a9a-576c-4f8f-8b9d-016f1c1b8e3f",
    "householdId": "4d0a9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e",
    "teamId": "2a4d9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e",
    "reportingOrganisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
    "source": "housing_corporation",
    "lifeDomains": ["finances", "housing"],
    "description": "Rent arrears of three months; the tenant did not respond to letters.",
    "urgency": "normal",
    "residentAware": True,
    "status": "open",
    "registeredAt": "2026-03-02T08:30:00Z",
}


class SignalRead(ApiModel):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [_READ_EXAMPLE]})

    id: uuid.UUID
    household_id: uuid.UUID
    team_id: uuid.UUID
    reporting_organisation_id: uuid.UUID
    registered_by_professional_id: uuid.UUID | None = None
    source: SignalSource
    life_domains: list[LifeDomain] = Field(max_length=13)
    description: str = Field(max_length=4000)
    urgency: Urgency
    resident_aware: bool
    status: SignalStatus
    case_id: uuid.UUID | None = None
    registered_at: datetime


class InvolvedOrganisation(ApiModel):
    """That an organisation is involved, in which role, and whom to call. Never why."""

    organisation_id: uuid.UUID
    name: str = Field(max_length=200)
    role: InvolvementRole
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=30)
    contact_email: str | None = Field(default=None, max_length=254)


class AlreadyKnown(ApiModel):
    """The Verwijsindex answer: whether someone already helps, and who to call — not the content."""

    known: bool = Field(description="The household has an open case.")
    case_status: str | None = Field(default=None, max_length=20, description="Status of the open case, if any.")
    involved_organisations: list[InvolvedOrganisation] = Field(default_factory=list, max_length=100)
    lead_professional: ProfessionalContact | None = None


class SignalRegistered(SignalRead):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _READ_EXAMPLE
                | {
                    "householdCreated": False,
                    "alreadyKnown": {
                        "known": True,
                        "caseStatus": "active",
                        "involvedOrganisations": [
                            {
                                "organisationId": "9a576c1f-8f2b-4d01-8f1c-1b8e3f5e4d0a",
                                "name": "GGZ Maasoever",
                                "role": "lead",
                                "contactName": "Karim Bouali",
                                "contactPhone": "010-2223344",
                            }
                        ],
                        "leadProfessional": {
                            "professionalId": "9d016f1c-1b8e-4f5e-8d0a-9a576c1f8f2b",
                            "name": "Karim Bouali",
                            "organisationId": "9a576c1f-8f2b-4d01-8f1c-1b8e3f5e4d0a",
                            "organisationName": "GGZ Maasoever",
                            "phone": "010-2223344",
                        },
                    },
                }
            ]
        },
    )

    household_created: bool = Field(description="Whether this registration created the household.")
    already_known: AlreadyKnown


class SignalPage(Page[SignalRead]):
    """One page of Signal items."""
