import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.identifiers import CBS_AREA_PATTERN
from wijkregistratie.core.pagination import Page
from wijkregistratie.core.schemas import ApiModel
from wijkregistratie.municipalities.schemas import MUNICIPALITY_PATTERN

AreaCode = Annotated[str, Field(pattern=CBS_AREA_PATTERN, max_length=10)]

_EXAMPLE: dict[str, Any] = {
    "name": "Buurtteam Feijenoord",
    "municipalityCode": "GM0599",
    "areaCodes": ["WK059915", "BU05991601"],
    "firstContactTargetDays": 3,
    "organisationIds": ["6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01"],
}


class TeamCreate(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    name: str = Field(min_length=1, max_length=200)
    municipality_code: str = Field(
        pattern=MUNICIPALITY_PATTERN, description="CBS code of the municipality the team and its whole area belong to."
    )
    area_codes: list[AreaCode] = Field(
        min_length=1,
        max_length=200,
        description="CBS codes of the area served: municipality, districts (WK) or neighbourhoods (BU).",
    )
    first_contact_target_days: int = Field(
        default=3, ge=1, le=60, description="Days within which a signal should have its first contact."
    )
    returning_household_days: int = Field(
        default=730,
        ge=0,
        le=3650,
        description="Days after its case closed that a household's new signal is matched with its former lead.",
    )
    match_valid_days: int = Field(
        default=90, ge=1, le=730, description="Days a match stays on the lists of the organisations and coordinator."
    )
    referral_answer_days: int = Field(
        default=10, ge=1, le=90, description="Days after which a referral without an answer is on the due list."
    )
    organisation_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=100, description="The member organisations, from today on."
    )


_MEMBERSHIP_EXAMPLE: dict[str, Any] = {
    "id": "9d016f1c-1b8e-4f5e-8d0a-9a576c1f8f2b",
    "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
    "since": "2026-01-05",
    "until": None,
}


class Membership(ApiModel):
    """An organisation taking part in the team from `since` until and including `until`."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MEMBERSHIP_EXAMPLE]})

    id: uuid.UUID
    organisation_id: uuid.UUID
    since: date
    until: date | None = None


class TeamRead(TeamCreate):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _EXAMPLE
                | {
                    "id": "2a4d9a57-6c1f-4f2b-9d01-6f1c1b8e3f5e",
                    "memberships": [_MEMBERSHIP_EXAMPLE],
                    "version": 1,
                    "createdAt": "2026-01-05T09:00:00Z",
                    "updatedAt": "2026-01-05T09:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    organisation_ids: list[uuid.UUID] = Field(max_length=100, description="The organisations taking part today.")
    memberships: list[Membership] = Field(max_length=1000, description="Every membership, past, current and coming.")
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime


class TeamUpdate(ApiModel):
    """What changes; fields left out stay as they are. The municipality of a team does not change."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"areaCodes": ["WK059915"], "firstContactTargetDays": 5}]}
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    area_codes: list[AreaCode] | None = Field(default=None, min_length=1, max_length=200)
    first_contact_target_days: int | None = Field(default=None, ge=1, le=60)
    returning_household_days: int | None = Field(default=None, ge=0, le=3650)
    match_valid_days: int | None = Field(default=None, ge=1, le=730)
    referral_answer_days: int | None = Field(default=None, ge=1, le=90)


class MembershipCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01", "since": "2026-02-01"}]
        }
    )

    organisation_id: uuid.UUID
    since: date | None = Field(default=None, description="The first day; today when left out.")


class MembershipEnd(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"until": "2026-06-30"}]})

    until: date = Field(description="The last day the organisation takes part; not before its first day.")


class TeamPage(Page[TeamRead]):
    """One page of Team items."""
