import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.codes import JournalKind, JournalVisibility
from wijkregistratie.core.schemas import ApiModel

_EXAMPLE: dict[str, Any] = {
    "kind": "home_visit",
    "occurredAt": "2026-03-05T10:00:00+01:00",
    "participants": ["Anouk Jansen", "Karim Bouali (GGZ Maasoever)"],
    "text": "Eerste huisbezoek samen met de corporatie; afspraken over de post gemaakt.",
    "visibility": "all_involved",
}


class JournalEntryCreate(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    kind: JournalKind
    occurred_at: datetime = Field(description="When the contact took place, with its time zone.")
    participants: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20, description="Who took part, by name."
    )
    text: str = Field(min_length=1, max_length=20_000)
    visibility: JournalVisibility = Field(
        default=JournalVisibility.own_organisation,
        description="`own_organisation` (the default) or `all_involved` organisations.",
    )


class JournalEntryRead(JournalEntryCreate):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                _EXAMPLE
                | {
                    "id": "1f8f2b9d-016f-4c1b-8e3f-5e4d0a9a576c",
                    "caseId": "0b8f6f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
                    "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
                    "createdAt": "2026-03-05T12:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    case_id: uuid.UUID
    organisation_id: uuid.UUID
    professional_id: uuid.UUID | None = None
    created_at: datetime
