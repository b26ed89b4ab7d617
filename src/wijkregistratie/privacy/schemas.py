import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.schemas import ApiModel
from wijkregistratie.privacy.erasure import Grounds


class PersonExport(ApiModel):
    """Everything held about a person: per table, the rows about them, their household and its files."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "personId": "3f0b1c2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "exportedAt": "2026-03-02T08:30:00+01:00",
                    "tables": {"consents": [{"purpose": "Schuldhulp", "given_on": "2026-02-01"}]},
                }
            ]
        },
    )

    person_id: uuid.UUID
    exported_at: datetime
    tables: dict[str, Annotated[list[dict[str, Any]], Field(max_length=1_000_000)]] = Field(
        description="Per table that holds personal data, the rows about this person; file contents are "
        "listed by name and SHA-256 (download them separately)."
    )


class ErasureRequest(ApiModel):
    """A household's request to erase its file."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"requestReference": "AVG-2026-0042"}]})

    request_reference: str = Field(
        min_length=1, max_length=100, description="Your reference for the household's request, for the receipt."
    )


class ErasureRead(ApiModel):
    """The receipt of an erasure: what was erased and when, without content."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "householdId": "0b8f6f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
                    "grounds": "request",
                    "requestReference": "AVG-2026-0042",
                    "erasedAt": "2026-03-02T08:30:00+01:00",
                    "rows": {"members": 2, "journal_entries": 5, "cases": 1, "signals": 1},
                }
            ]
        }
    )

    id: uuid.UUID
    household_id: uuid.UUID
    grounds: Grounds
    request_reference: str | None = Field(default=None, max_length=100)
    erased_at: datetime
    rows: dict[str, int] = Field(description="Per table, the rows deleted or emptied of personal data.")
