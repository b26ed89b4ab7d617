import uuid
from datetime import date, datetime

from pydantic import ConfigDict, Field

from wijkregistratie.core.codes import ClosureReason, HandledBy
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel
from wijkregistratie.journal.schemas import JournalEntryRead

_CASE = "0b8f6f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b"


class CaseDiscussion(JournalEntryRead):
    """A case discussion from the journal, with the household it was about."""

    model_config = ConfigDict(extra="ignore")

    household_name: str | None = Field(default=None, max_length=200, description="The applicant's surname.")


class CaseDiscussionPage(Page[CaseDiscussion]):
    """One page of the team's case discussions, oldest first."""


class LearningNote(ApiModel):
    """What a closed case taught the team: what worked, the obstacles, how they were solved."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "caseId": _CASE,
                    "householdName": "Jansen",
                    "closedAt": "2026-05-28T15:00:00Z",
                    "closureReason": "handled_by_team",
                    "handledBy": "team",
                    "learningNote": "Samen op huisbezoek met de corporatie werkte; de post bleef het obstakel.",
                }
            ]
        },
    )

    case_id: uuid.UUID
    household_name: str | None = Field(default=None, max_length=200)
    closed_at: datetime
    closure_reason: ClosureReason
    handled_by: HandledBy
    learning_note: str = Field(max_length=4000)


class LearningNotePage(Page[LearningNote]):
    """One page of the team's learning notes, in the order the cases closed."""


class SharedLearningNote(ApiModel):
    """A learning note as the municipality reads it: the month, how the case ended and the note, with the
    household's names, address, numbers and e-mail addresses taken out — nothing that points to a household."""

    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="The month the case closed.")
    closure_reason: ClosureReason
    handled_by: HandledBy
    learning_note: str = Field(max_length=4000)


class SharedLearningNotes(ApiModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "period": "2026-Q2",
                    "startDate": "2026-04-01",
                    "endDate": "2026-06-30",
                    "minimumNotes": 8,
                    "withheld": False,
                    "notes": [
                        {
                            "month": "2026-05",
                            "closureReason": "handled_by_team",
                            "handledBy": "team",
                            "learningNote": "Samen op huisbezoek met de corporatie werkte; de post bleef het obstakel.",
                        }
                    ],
                }
            ]
        },
    )

    team_id: uuid.UUID | None = None
    period: str = Field(max_length=30)
    start_date: date
    end_date: date
    minimum_notes: int = Field(ge=1, description="Fewer notes than this in the selection are withheld.")
    withheld: bool = Field(description="The selection holds too few notes to be shown without pointing to a case.")
    notes: list[SharedLearningNote] = Field(max_length=5000, description="By month, then alphabetically.")
