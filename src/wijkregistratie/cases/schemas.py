import uuid
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from wijkregistratie.assessments.schemas import AssessmentRead
from wijkregistratie.attachments.schemas import AttachmentRead
from wijkregistratie.core.codes import CaseStatus, ClosureReason, HandledBy, InvolvementRole, LawfulBasis
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel
from wijkregistratie.households.schemas import HouseholdRead
from wijkregistratie.journal.schemas import JournalEntryRead
from wijkregistratie.matches.schemas import MatchRead
from wijkregistratie.plans.schemas import PlanRead
from wijkregistratie.professionals.schemas import ProfessionalContact
from wijkregistratie.referrals.schemas import ReferralRead
from wijkregistratie.signals.schemas import SignalRead

_IDS: dict[str, Any] = {
    "case": "0b8f6f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
    "household": "4d0a9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e",
    "team": "2a4d9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e",
    "organisation": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
    "signal": "5e4d0a9a-576c-4f8f-8b9d-016f1c1b8e3f",
}


class CaseOpen(ApiModel):
    """Open a case for a household; the caller's organisation becomes involved in it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "householdId": _IDS["household"],
                    "signalIds": [_IDS["signal"]],
                    "basis": "statutory_task",
                    "basisReference": "Wmo 2015 art. 2.3.2",
                    "ownReference": "CL-4711",
                }
            ]
        }
    )

    household_id: uuid.UUID
    team_id: uuid.UUID | None = Field(
        default=None,
        description="By default the team of the first signal, or the team serving the neighbourhood.",
    )
    signal_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=20, description="Signals this case takes up; they become accepted."
    )
    basis: LawfulBasis = Field(description="The lawful basis of the caller's involvement.")
    basis_reference: str = Field(
        min_length=1, max_length=200, description="The statutory task or the consent the basis rests on."
    )
    own_reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The caller's own reference for the household.",
    )
    consent_id: uuid.UUID | None = Field(
        default=None, description="With basis `consent`: the household member's consent in force it rests on."
    )


class CaseSummary(ApiModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "id": _IDS["case"],
                    "householdId": _IDS["household"],
                    "teamId": _IDS["team"],
                    "status": "active",
                    "openedAt": "2026-03-03T09:15:00Z",
                    "version": 2,
                }
            ]
        },
    )

    id: uuid.UUID
    household_id: uuid.UUID
    team_id: uuid.UUID
    status: CaseStatus
    opened_at: datetime
    closed_at: datetime | None = None
    closure_reason: ClosureReason | None = None
    handled_by: HandledBy | None = None
    version: int = Field(ge=1, description="The case's version; its ETag.")


class LeadPeriod(ApiModel):
    model_config = ConfigDict(extra="ignore")

    professional: ProfessionalContact
    started_at: datetime
    ended_at: datetime | None = None


class InvolvementCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "organisationId": _IDS["organisation"],
                    "role": "carries_out",
                    "basis": "consent",
                    "basisReference": "consent 2026-03-04, recorded by the lead professional",
                }
            ]
        }
    )

    organisation_id: uuid.UUID
    role: InvolvementRole = Field(description="`lead` is not set here: it follows the lead professional.")
    basis: LawfulBasis
    basis_reference: str = Field(min_length=1, max_length=200)
    own_reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Only an organisation's own reference, set by itself.",
    )
    consent_id: uuid.UUID | None = Field(
        default=None, description="With basis `consent`: the household member's consent it rests on."
    )
    since: date | None = Field(default=None, description="Defaults to today.")


class InvolvementUpdate(ApiModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"ownReference": "CL-4711"}, {"until": "2026-06-30"}]})

    role: InvolvementRole | None = None
    own_reference: str | None = Field(default=None, min_length=1, max_length=100)
    until: date | None = Field(default=None, description="The last day of the involvement.")


class InvolvementRead(ApiModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "id": "8a9b0c1d-2e3f-4a5b-8b8f-6f5e1c2d4e3f",
                    "caseId": _IDS["case"],
                    "organisationId": _IDS["organisation"],
                    "organisationName": "Schuldhulp Zuid",
                    "role": "carries_out",
                    "basis": "statutory_task",
                    "basisReference": "Participatiewet art. 7",
                    "ownReference": "CL-4711",
                    "since": "2026-03-04",
                    "version": 1,
                }
            ]
        },
    )

    id: uuid.UUID
    case_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str = Field(max_length=200)
    role: InvolvementRole
    basis: LawfulBasis
    basis_reference: str = Field(max_length=200)
    own_reference: str | None = Field(
        default=None, max_length=100, description="Shown to the organisation it belongs to only."
    )
    consent_id: uuid.UUID | None = None
    consent_active: bool | None = Field(default=None, description="Whether the consent is in force today.")
    since: date
    until: date | None = None
    version: int = Field(ge=1)


class LeadAssign(ApiModel):
    """Assign the lead professional, or hand over to another."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"professionalId": "9d016f1c-1b8e-4f5e-8d0a-9a576c1f8f2b"}]}
    )

    professional_id: uuid.UUID = Field(description="A professional of the case's team.")
    basis: LawfulBasis = Field(
        default=LawfulBasis.statutory_task,
        description="Basis for the lead organisation, if not yet involved.",
    )
    basis_reference: str = Field(default="Wmo 2015 art. 2.3.2 (neighbourhood team task)", min_length=1, max_length=200)
    consent_id: uuid.UUID | None = Field(
        default=None, description="With basis `consent`: the household member's consent in force it rests on."
    )


# The closure reasons that say who handled the case themselves.
CLOSURE_HANDLED_BY = {
    ClosureReason.referred_to_specialist_care: HandledBy.specialist_care,
    ClosureReason.handled_by_team: HandledBy.team,
}


class CaseClose(ApiModel):
    """Why the case ends and who handled it, given together so the figures count both for every case."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"reason": {"const": reason.value}}, "required": ["reason"]},
                    "then": {"properties": {"handledBy": {"const": handled_by.value}}},
                }
                for reason, handled_by in CLOSURE_HANDLED_BY.items()
            ],
            "examples": [
                {
                    "reason": "handled_by_team",
                    "handledBy": "team",
                    "learningNote": "A fixed weekly visit worked; the landlord's payment plan took two tries.",
                }
            ],
        }
    )

    reason: ClosureReason
    handled_by: HandledBy = Field(
        description="Whether the team handled it or it went to specialist care; `referred_to_specialist_care` "
        "goes with `specialist_care`, `handled_by_team` with `team`."
    )
    learning_note: str | None = Field(
        default=None, max_length=4000, description="What worked, the obstacles, and how they were solved."
    )

    @field_validator("handled_by")
    @classmethod
    def _fits_the_reason(cls, value: HandledBy, info: ValidationInfo) -> HandledBy:
        reason = info.data.get("reason")
        expected = CLOSURE_HANDLED_BY.get(reason) if reason else None
        if expected is not None and value != expected:
            raise ValueError(f"reason {reason} goes with handledBy {expected}")
        return value


EXPANDABLE = ("journal", "assessments", "referrals", "attachments", "matches")
EXPAND_PATTERN = rf"^({'|'.join(EXPANDABLE)})(,({'|'.join(EXPANDABLE)}))*$"
T = TypeVar("T")


class Expanded(ApiModel, Generic[T]):
    """A part of the record read with it: its most recent items, in the order of its own list, and how many
    there are in all; the rest is read from `href`."""

    items: list[T] = Field(max_length=100)
    total: int = Field(ge=0)
    href: str = Field(max_length=200, description="The part's own list.")


class ExpandedJournal(Expanded[JournalEntryRead]):
    """The journal entries the caller may read."""


class ExpandedAssessments(Expanded[AssessmentRead]):
    """The self-sufficiency assessments."""


class ExpandedReferrals(Expanded[ReferralRead]):
    """The referrals made from the case."""


class ExpandedAttachments(Expanded[AttachmentRead]):
    """The attachments' metadata; the content is read from each one's own address."""


class ExpandedMatches(Expanded[MatchRead]):
    """The matches around the household the caller is party to (or coordinates)."""


class CaseRecord(CaseSummary):
    """The whole shared record of one household in one read; with `expand`, its journal, assessments,
    referrals, attachments (metadata) and matches too."""

    team_name: str = Field(max_length=200)
    learning_note: str | None = Field(default=None, max_length=4000)
    household: HouseholdRead
    lead_professional: ProfessionalContact | None = None
    lead_history: list[LeadPeriod] = Field(max_length=1000)
    involvements: list[InvolvementRead] = Field(max_length=200)
    plan: PlanRead | None = None
    signals: list[SignalRead] = Field(max_length=1000)
    journal: ExpandedJournal | None = None
    assessments: ExpandedAssessments | None = None
    referrals: ExpandedReferrals | None = None
    attachments: ExpandedAttachments | None = None
    matches: ExpandedMatches | None = None


class HistoryEntry(ApiModel):
    """One change in the case's timeline: what happened, when, and which organisation (and professional) did it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sequence": "412",
                    "time": "2026-03-04T10:15:00Z",
                    "type": "nl.wijkregistratie.lead-professional.changed",
                    "description": "A case got a (new) lead professional.",
                    "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
                    "organisationName": "Sociaal Werk Maasoever",
                    "professionalName": "Fatima el Amrani",
                    "data": {"professionalId": "9d016f1c-1b8e-4f5e-8d0a-9a576c1f8f2b"},
                }
            ]
        }
    )

    sequence: str = Field(max_length=20, description="The event's place in the change feed.")
    time: datetime
    type: str = Field(max_length=100)
    description: str = Field(max_length=300)
    organisation_id: uuid.UUID | None = None
    organisation_name: str | None = Field(default=None, max_length=200)
    professional_id: uuid.UUID | None = None
    professional_name: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, description="Ids and what changed, as in the event.")


class HistoryPage(Page[HistoryEntry]):
    """One page of the case's timeline, oldest first."""


class CasePage(Page[CaseSummary]):
    """One page of Case items."""
