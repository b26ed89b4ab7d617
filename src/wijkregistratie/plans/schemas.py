"""The plan (plan van aanpak): owned by the household, in its own words.

It holds goals, actions and who does what; the details of problems stay in each organisation's
own file (data minimisation).
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, model_validator

from wijkregistratie.core.codes import LifeDomain
from wijkregistratie.core.schemas import ApiModel


class PerformerKind(StrEnum):
    member = "member"
    network = "network"
    professional = "professional"
    organisation = "organisation"


class ActivityStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


# Who a performer of each kind must name; the contract says it too, so clients need not guess.
PERFORMER_NEEDS = {
    PerformerKind.member: "memberId",
    PerformerKind.professional: "professionalId",
    PerformerKind.organisation: "organisationId",
    PerformerKind.network: "name",
}


class Performer(ApiModel):
    """Who carries out an activity: a member, the household's own network, a professional or an organisation."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"kind": {"const": kind.value}}, "required": ["kind"]},
                    "then": {"required": [needed], "properties": {needed: {"not": {"type": "null"}}}},
                }
                for kind, needed in PERFORMER_NEEDS.items()
            ]
        }
    )

    kind: PerformerKind
    member_id: uuid.UUID | None = None
    professional_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    name: str | None = Field(default=None, max_length=200, description="For the network: who, by name.")

    @model_validator(mode="after")
    def _identified(self) -> "Performer":
        named = {
            PerformerKind.member: self.member_id,
            PerformerKind.professional: self.professional_id,
            PerformerKind.organisation: self.organisation_id,
            PerformerKind.network: self.name,
        }[self.kind]
        if named is None:
            raise ValueError(f"a performer of kind {self.kind.value} needs {PERFORMER_NEEDS[self.kind]}")
        return self


class Activity(ApiModel):
    description: str = Field(min_length=1, max_length=1000)
    performer: Performer
    due_date: date | None = None
    status: ActivityStatus = ActivityStatus.planned


class Goal(ApiModel):
    """A goal in one life domain, in the household's own words."""

    life_domain: LifeDomain
    i_want: str = Field(min_length=1, max_length=1000, description="Ik wil: what the household wants.")
    i_can: str | None = Field(default=None, max_length=1000, description="Ik kan: what it can do itself.")
    i_need: str | None = Field(default=None, max_length=1000, description="Ik heb nodig: the help it needs.")
    result: str = Field(min_length=1, max_length=1000, description="The concrete result that shows it is reached.")
    target_date: date | None = None
    activities: list[Activity] = Field(default_factory=list, max_length=50)


class NetworkContribution(ApiModel):
    """Someone from the household's own network and what they contribute."""

    name: str = Field(min_length=1, max_length=200)
    relation: str | None = Field(default=None, max_length=100)
    contribution: str = Field(min_length=1, max_length=1000)


class PresentHelp(ApiModel):
    """Help already present behind the front door."""

    provider: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=1000)


class CustomArrangement(ApiModel):
    """A custom arrangement (maatwerk) with its cost and who pays."""

    description: str = Field(min_length=1, max_length=1000)
    cost_euros: str = Field(
        pattern=r"^[0-9]{1,9}\.[0-9]{2}$", description="The cost in euros, as a decimal string: 1250.00."
    )
    funder: str = Field(min_length=1, max_length=200)


_CONTENT_EXAMPLE: dict[str, Any] = {
    "goals": [
        {
            "lifeDomain": "finances",
            "iWant": "Geen achterstand meer bij de woningcorporatie.",
            "iCan": "Elke week mijn post openen met mijn zus.",
            "iNeed": "Hulp bij een betalingsregeling.",
            "result": "Betalingsregeling loopt drie maanden zonder nieuwe achterstand.",
            "targetDate": "2026-09-01",
            "activities": [
                {
                    "description": "Betalingsregeling aanvragen",
                    "performer": {
                        "kind": "organisation",
                        "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
                    },
                    "dueDate": "2026-04-01",
                    "status": "planned",
                }
            ],
        }
    ],
    "network": [{"name": "Ilse", "relation": "zus", "contribution": "Opent wekelijks samen de post."}],
    "helpPresent": [{"provider": "Huisarts", "description": "Begeleiding bij slaapproblemen."}],
    "agreedDate": "2026-03-10",
    "evaluationDate": "2026-06-10",
}


class PlanContent(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CONTENT_EXAMPLE]})

    goals: list[Goal] = Field(default_factory=list, max_length=30)
    network: list[NetworkContribution] = Field(default_factory=list, max_length=30)
    help_present: list[PresentHelp] = Field(default_factory=list, max_length=30)
    agreed_date: date | None = Field(default=None, description="When the household agreed to this plan.")
    evaluation_date: date | None = Field(default=None, description="When the plan is next evaluated.")
    custom_arrangement: CustomArrangement | None = None


class PlanRead(PlanContent):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _CONTENT_EXAMPLE
                | {
                    "caseId": "0b8f6f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
                    "version": 2,
                    "createdAt": "2026-03-10T14:00:00Z",
                    "createdByOrganisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
                }
            ]
        },
    )

    case_id: uuid.UUID
    version: int = Field(ge=1, description="The plan's version; its ETag.")
    created_at: datetime
    created_by_organisation_id: uuid.UUID
    created_by_professional_id: uuid.UUID | None = None


class PlanVersionSummary(ApiModel):
    model_config = ConfigDict(extra="ignore")

    version: int = Field(ge=1)
    created_at: datetime
    created_by_organisation_id: uuid.UUID
    created_by_professional_id: uuid.UUID | None = None
