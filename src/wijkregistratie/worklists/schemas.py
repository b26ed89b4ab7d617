import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from wijkregistratie.core.codes import CaseStatus, Urgency
from wijkregistratie.core.schemas import ApiModel

_IDS = {
    "case": "0b8f6f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
    "household": "4d0a9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e",
    "team": "2a4d9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e",
    "professional": "9d016f1c-1b8e-4f5e-8d0a-9a576c1f8f2b",
    "organisation": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
    "signal": "5e4d0a9a-576c-4f8f-8b9d-016f1c1b8e3f",
}


class DueKind(StrEnum):
    evaluation_due = "evaluation_due"
    first_contact_due = "first_contact_due"
    activity_due = "activity_due"
    referral_unanswered = "referral_unanswered"


class DueItem(ApiModel):
    """Something of the team's work that has come due."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "evaluation_due",
                    "dueOn": "2026-06-10",
                    "daysLate": 2,
                    "what": "Plan evaluation (version 3)",
                    "caseId": _IDS["case"],
                    "householdId": _IDS["household"],
                    "householdName": "Jansen",
                    "professionalId": _IDS["professional"],
                }
            ]
        }
    )

    kind: DueKind
    due_on: date = Field(
        description="When it was due: the evaluation date, the first-contact deadline, "
        "the activity's date, or the day a referral should have had an answer."
    )
    days_late: int = Field(description="Days past `dueOn` (0 on the day; negative while it is still ahead).")
    what: str = Field(max_length=1000, description="What is due, for a screen.")
    case_id: uuid.UUID | None = None
    signal_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    household_id: uuid.UUID
    household_name: str | None = Field(default=None, max_length=200, description="The applicant's surname.")
    professional_id: uuid.UUID | None = Field(
        default=None,
        description="Whom it is for: the lead, the professional who took the signal up, or the activity's performer.",
    )


class DueList(ApiModel):
    model_config = ConfigDict(extra="ignore")

    team_id: uuid.UUID
    on: date = Field(description="The day the list is for (today, in the Netherlands).")
    items: list[DueItem] = Field(max_length=5000, description="The most overdue first.")


class CaseloadCase(ApiModel):
    case_id: uuid.UUID
    household_id: uuid.UUID
    household_name: str | None = Field(default=None, max_length=200)
    address_line: str = Field(max_length=300)
    team_id: uuid.UUID
    status: CaseStatus
    lead_since: datetime
    next_evaluation_on: date | None = Field(default=None, description="The current plan's evaluation date.")
    activities_overdue: int = Field(ge=0, description="Activities of the current plan past their date, not done.")


class CaseloadSignal(ApiModel):
    signal_id: uuid.UUID
    household_id: uuid.UUID
    household_name: str | None = Field(default=None, max_length=200)
    address_line: str = Field(max_length=300)
    team_id: uuid.UUID
    urgency: Urgency
    registered_at: datetime
    planned_first_contact_on: date | None = None
    first_contact_on: date | None = None


class Caseload(ApiModel):
    """What one professional carries: the open cases they lead and the signals in triage they took up."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "professionalId": _IDS["professional"],
                    "name": "Fatima el Amrani",
                    "organisationId": _IDS["organisation"],
                    "cases": [
                        {
                            "caseId": _IDS["case"],
                            "householdId": _IDS["household"],
                            "householdName": "Jansen",
                            "addressLine": "Dorpsstraat 12, 3011AB, Rotterdam",
                            "teamId": _IDS["team"],
                            "status": "active",
                            "leadSince": "2026-03-04T10:15:00Z",
                            "nextEvaluationOn": "2026-06-10",
                            "activitiesOverdue": 1,
                        }
                    ],
                    "signals": [],
                }
            ]
        },
    )

    professional_id: uuid.UUID
    name: str = Field(max_length=200)
    organisation_id: uuid.UUID
    cases: list[CaseloadCase] = Field(max_length=1000)
    signals: list[CaseloadSignal] = Field(max_length=1000)


class TeamCaseloadRow(ApiModel):
    professional_id: uuid.UUID
    name: str = Field(max_length=200)
    organisation_id: uuid.UUID
    organisation_name: str = Field(max_length=200)
    cases_led: int = Field(ge=0, description="Open cases they lead.")
    signals_in_triage: int = Field(ge=0, description="Signals in triage they took up.")
    evaluations_due: int = Field(ge=0, description="Of the cases they lead, plans whose evaluation date has come.")
    has_left: bool = Field(description="Left the organisation: their cases must be handed over.")


class TeamCaseload(ApiModel):
    """The coordinator's view: how the team's work is spread over its professionals."""

    model_config = ConfigDict(extra="ignore")

    team_id: uuid.UUID
    professionals: list[TeamCaseloadRow] = Field(max_length=1000, description="The busiest first.")
