import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.codes import MatchRelation, MatchTrigger
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel

_PARTY: dict[str, Any] = {
    "organisationId": "9a576c1f-8f2b-4d01-8f1c-1b8e3f5e4d0a",
    "name": "GGZ Maasoever",
    "contactName": "Karim Bouali",
    "contactPhone": "010-2223344",
}


class MatchParty(ApiModel):
    """An organisation in a match and whom to call there."""

    model_config = ConfigDict(extra="ignore")

    organisation_id: uuid.UUID
    name: str = Field(max_length=200)
    professional_id: uuid.UUID | None = Field(
        default=None, description="The professional to call there: the lead, the former lead, or who reported."
    )
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=30)
    contact_email: str | None = Field(default=None, max_length=254)


class MatchRead(ApiModel):
    """Two organisations are around the same household. Who to call — never why."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "id": "3f5e4d0a-9a57-4c1f-8f2b-9d016f1c1b8e",
                    "householdId": "4d0a9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e",
                    "trigger": "signal",
                    "relation": "reported_open_signal",
                    "organisation": _PARTY | {"name": "Woongoed Maasoever", "contactName": "Peter Smit"},
                    "counterpart": _PARTY | {"professionalId": "9d016f1c-1b8e-4f5e-8d0a-9a576c1f8f2b"},
                    "createdAt": "2026-03-02T08:30:00Z",
                    "expiresAt": "2026-05-31T08:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    household_id: uuid.UUID
    trigger: MatchTrigger
    relation: MatchRelation = Field(
        description="How the counterpart knows the household: involved in its open case, reported a signal still "
        "in triage, or led its case that closed within the team's period (`former_lead`)."
    )
    signal_id: uuid.UUID | None = Field(default=None, description="Shown to the organisation that signalled.")
    organisation: MatchParty = Field(description="The organisation that came in (signalled or joined).")
    counterpart: MatchParty = Field(description="The organisation already involved.")
    created_at: datetime
    expires_at: datetime = Field(description="After this the match is off the lists.")
    contact_recorded_at: datetime | None = None
    contact_recorded_by_organisation_id: uuid.UUID | None = None


class MatchPage(Page[MatchRead]):
    """One page of matches."""
