from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from wijkregistratie.core.schemas import ApiModel

FEED_MAX = 500

_EXAMPLE: dict[str, Any] = {
    "specversion": "1.0",
    "id": "0c6c8f5e-8b0e-4d0e-9f57-3c1d2f1e9a10",
    "source": "/wijkregistratie",
    "type": "nl.wijkregistratie.plan.updated",
    "subject": "cases/5e4d0a9a-576c-4f8f-8b9d-016f1c1b8e3f",
    "time": "2026-03-02T08:30:00Z",
    "datacontenttype": "application/json",
    "sequence": "1042",
    "data": {"caseId": "5e4d0a9a-576c-4f8f-8b9d-016f1c1b8e3f", "version": 3},
}


class CloudEvent(ApiModel):
    """A change, as a CloudEvents 1.0 event in structured JSON mode."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [_EXAMPLE]})

    specversion: str = Field(default="1.0", max_length=10)
    id: str = Field(max_length=40, description="Unique per event; receivers de-duplicate on it.")
    source: str = Field(max_length=200)
    type: str = Field(max_length=100, description="One of the types listed at `GET /v1/events`.")
    subject: str | None = Field(default=None, max_length=200, description="`cases/{id}` or `signals/{id}`.")
    time: datetime
    datacontenttype: str = Field(default="application/json", max_length=50)
    sequence: str = Field(max_length=20, description="The position in the feed (CloudEvents sequence extension).")
    data: dict[str, Any] = Field(description="Ids and what changed; read the resource for the rest.")


class EventPage(ApiModel):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"items": [_EXAMPLE], "nextCursor": "1042"}]}
    )

    items: list[CloudEvent] = Field(max_length=FEED_MAX, description="The events, in feed order.")
    next_cursor: str = Field(
        max_length=20,
        description="Pass as `after` to continue; equals `after` when there was nothing new. Keep it: it is "
        "where a reader resumes after a restart.",
    )
