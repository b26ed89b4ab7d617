import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from wijkregistratie.core.codes import (
    LawfulBasis,
    LifeDomain,
    ReporterKind,
    SignalSource,
    SignalStatus,
    TriageActionKind,
    Urgency,
)
from wijkregistratie.core.identifiers import BSN_PATTERN, validate_bsn
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel, requires_one_of
from wijkregistratie.households.schemas import Address, MemberCreate
from wijkregistratie.matches.schemas import MatchRead
from wijkregistratie.organisations.schemas import EMAIL_PATTERN, PHONE_PATTERN
from wijkregistratie.professionals.schemas import ProfessionalContact


class HouseholdReference(ApiModel):
    """Which household the signal concerns: by id (one you may see), or by address, with its members and a
    member's BSN where known.

    When no household matches, one is registered with the address and members given. A BSN always comes
    with the address and the member it belongs to, so the answer never depends on whether it is known.
    """

    model_config = ConfigDict(
        json_schema_extra=requires_one_of(("id",), ("address",))
        # A BSN comes with the address and the members. (One-item lists: the document's model keeps no order
        # in `dependentRequired`.)
        | {"dependentRequired": {"bsn": ["address"]}, "dependentSchemas": {"bsn": {"required": ["members"]}}}
    )

    id: uuid.UUID | None = None
    bsn: str | None = Field(
        default=None, min_length=8, max_length=9, json_schema_extra={"writeOnly": True, "pattern": BSN_PATTERN}
    )
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


class Reporter(ApiModel):
    """Who called the team from outside it — a GP, a school, a volunteer — and whether they want to hear
    back once the team has decided (then the signal's organisations get `signal.feedback-due`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "general_practitioner",
                    "name": "Dr. M. de Groot",
                    "organisation": "Huisartsenpraktijk Zuid",
                    "phone": "010-1234567",
                    "wantsFeedback": True,
                }
            ]
        }
    )

    kind: ReporterKind = Field(default=ReporterKind.other, description="A GP, a school, the police, a volunteer, …")
    name: str = Field(min_length=1, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    wants_feedback: bool = False


class SignalCreate(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    household: HouseholdReference
    team_id: uuid.UUID | None = Field(
        default=None,
        description="The team to handle it; by default the team serving the household's neighbourhood.",
    )
    source: SignalSource
    life_domains: list[LifeDomain] = Field(min_length=1, max_length=13, json_schema_extra={"uniqueItems": True})
    description: str = Field(min_length=1, max_length=4000)
    urgency: Urgency = Urgency.normal
    resident_aware: bool = Field(description="Whether the resident knows of and recognises the signal.")
    reporter: Reporter | None = Field(default=None, description="Who reported it from outside the team, if anyone.")

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
    reporter: Reporter | None = None
    status: SignalStatus
    case_id: uuid.UUID | None = None
    registered_at: datetime
    forwarded_to_organisation_id: uuid.UUID | None = None
    triage_reason: str | None = Field(default=None, max_length=2000, description="Why it was declined or forwarded.")
    assigned_professional_ids: list[uuid.UUID] = Field(default_factory=list, max_length=2)
    former_lead_professional_id: uuid.UUID | None = Field(
        default=None,
        description="The household came back after its case closed within the team's period: who led that case, "
        "a suggestion for the coordinator.",
    )
    planned_first_contact_on: date | None = None
    first_contact_on: date | None = None
    version: int = Field(default=1, ge=1, description="The signal's version; its ETag.")


class InvolvedOrganisation(ApiModel):
    """That an organisation is involved, and whom to call there. Never why, nor in which role."""

    organisation_id: uuid.UUID
    name: str = Field(max_length=200)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=30)
    contact_email: str | None = Field(default=None, max_length=254)


class AlreadyKnown(ApiModel):
    """The Verwijsindex answer (Jeugdwet §7.1): whether other organisations already help the household, and
    whom to call — never why, what the case is about, in which role or how far it is."""

    known: bool = Field(
        description="The household has an open case, another organisation's signal in triage, or a case closed "
        "within the team's period."
    )
    involved_organisations: list[InvolvedOrganisation] = Field(
        default_factory=list, max_length=100, description="The organisations of the open case."
    )
    lead_professional: ProfessionalContact | None = Field(default=None, description="The open case's lead.")
    matches: list[MatchRead] = Field(
        default_factory=list,
        max_length=100,
        description="The matches this signal made: each organisation around the household and whom to call.",
    )


class SignalRegistered(SignalRead):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _READ_EXAMPLE
                | {
                    "alreadyKnown": {
                        "known": True,
                        "involvedOrganisations": [
                            {
                                "organisationId": "9a576c1f-8f2b-4d01-8f1c-1b8e3f5e4d0a",
                                "name": "GGZ Maasoever",
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

    already_known: AlreadyKnown


class SignalPage(Page[SignalRead]):
    """One page of Signal items."""


class SignalClaim(ApiModel):
    """One or two professionals of the team take the signal up; teams often go out in pairs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "professionalIds": ["9d016f1c-1b8e-4f5e-8d0a-9a576c1f8f2b"],
                    "plannedFirstContactOn": "2026-03-04",
                }
            ]
        }
    )

    professional_ids: list[uuid.UUID] = Field(min_length=1, max_length=2)
    planned_first_contact_on: date | None = Field(default=None, description="When the first contact is planned.")


class FirstContact(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"contactedOn": "2026-03-04"}]})

    contacted_on: date = Field(description="The day of the first contact with the household.")


class SignalAccept(ApiModel):
    """Accept the signal: it joins the household's open case, or a new case is opened for it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"basis": "statutory_task", "basisReference": "Wmo 2015 art. 2.3.2"}]}
    )

    basis: LawfulBasis = Field(
        default=LawfulBasis.statutory_task, description="Basis of the team's involvement in a new case."
    )
    basis_reference: str = Field(default="Wmo 2015 art. 2.3.2 (neighbourhood team task)", min_length=1, max_length=200)
    consent_id: uuid.UUID | None = Field(
        default=None, description="With basis `consent`: the household member's consent in force it rests on."
    )


class SignalDecline(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Already helped by the GP practice nurse."}]})

    reason: str = Field(min_length=1, max_length=2000)


class SignalForward(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01", "reason": "Only a debt question."}]
        }
    )

    organisation_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=2000)


class TriageActionRead(ApiModel):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    action: TriageActionKind
    organisation_id: uuid.UUID
    professional_id: uuid.UUID | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    at: datetime


class AssignedProfessional(ApiModel):
    professional_id: uuid.UUID
    name: str = Field(max_length=200)


class TriageQueueItem(SignalRead):
    """An open signal in the team's queue, with what a screen shows of it: whose household, who reported it,
    who took it up, whether the household already has a case, its age and first-contact deadline."""

    model_config = ConfigDict(extra="ignore")

    household_name: str | None = Field(default=None, max_length=200, description="The applicant's surname.")
    address_line: str = Field(max_length=300, description="Street and number, postcode and city.")
    reporting_organisation_name: str = Field(max_length=200)
    assigned_professionals: list[AssignedProfessional] = Field(default_factory=list, max_length=2)
    household_has_open_case: bool = Field(description="Already known: the household has an open case.")
    age_days: int = Field(ge=0, description="Whole days since the signal was registered.")
    first_contact_due_on: date = Field(description="Registration day plus the team's target in days.")
    first_contact_within_target: bool | None = Field(
        default=None, description="Whether the first contact was on time; absent until it is made."
    )
    overdue: bool = Field(description="No first contact yet, and its deadline has passed.")


class OpenSignal(ApiModel):
    """An open signal of the team, as a professional deciding to take it up sees it: what it is about and
    where, not whose household it is or what was written."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "id": "5e4d0a9a-576c-4f8f-8b9d-016f1c1b8e3f",
                    "teamId": "2a4d9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e",
                    "source": "school",
                    "lifeDomains": ["finances", "mental_health"],
                    "urgency": "high",
                    "buurtCode": "BU05990101",
                    "registeredAt": "2026-03-02T08:30:00Z",
                    "ageDays": 1,
                    "takenUpBy": 1,
                    "version": 2,
                }
            ]
        },
    )

    id: uuid.UUID
    team_id: uuid.UUID
    source: SignalSource
    life_domains: list[LifeDomain] = Field(max_length=13)
    urgency: Urgency
    buurt_code: str | None = Field(default=None, max_length=10, description="The neighbourhood (CBS BU code).")
    registered_at: datetime
    age_days: int = Field(ge=0)
    taken_up_by: int = Field(ge=0, le=2, description="How many professionals took it up; two make a pair.")
    version: int = Field(ge=1, description="For `If-Match` when taking it up.")


class TriageQueue(ApiModel):
    model_config = ConfigDict(extra="ignore")

    team_id: uuid.UUID
    first_contact_target_days: int = Field(ge=1)
    items: list[TriageQueueItem] = Field(
        max_length=1000, description="Open and in-triage signals: the most urgent first, then the oldest."
    )


class SuggestedProfessional(ApiModel):
    model_config = ConfigDict(extra="ignore")

    professional_id: uuid.UUID
    name: str = Field(max_length=200)
    organisation_id: uuid.UUID
    organisation_name: str = Field(max_length=200)
    matching_domains: list[LifeDomain] = Field(max_length=13)
    open_caseload: int = Field(ge=0, description="Active cases led plus signals in triage assigned.")
    former_lead: bool = Field(
        default=False, description="Led the household's last case, closed within the team's period."
    )
