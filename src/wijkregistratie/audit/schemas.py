import uuid
from datetime import datetime

from pydantic import ConfigDict, Field

from wijkregistratie.core.schemas import ApiModel


class AccessLogEntryRead(ApiModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "id": 48213,
                    "at": "2026-03-02T08:30:00Z",
                    "organisationId": "5e4d0a9a-576c-4f8f-8b9d-016f1c1b8e3f",
                    "organisationName": "GGZ Zuid",
                    "clientId": "ggz-crm",
                    "action": "read",
                    "route": "/v1/cases/{caseId}",
                    "resourceType": "cases",
                    "resourceId": "0c6c8f5e-8b0e-4d0e-9f57-3c1d2f1e9a10",
                    "purpose": "care",
                    "outcome": "allowed",
                    "status": 200,
                }
            ]
        },
    )

    id: int
    at: datetime
    organisation_id: uuid.UUID | None = None
    organisation_name: str | None = Field(default=None, max_length=200)
    client_id: str | None = Field(default=None, max_length=100)
    professional_id: uuid.UUID | None = None
    action: str = Field(max_length=40, description="`read`, `list`, `create`, `change` or `erase`.")
    route: str = Field(max_length=200)
    resource_type: str = Field(max_length=40)
    resource_id: str | None = Field(default=None, max_length=60)
    case_id: uuid.UUID | None = None
    purpose: str | None = Field(default=None, max_length=40)
    source_address: str | None = Field(default=None, max_length=64)
    status: int
    outcome: str = Field(max_length=40, description="`allowed`, `refused` or `failed`.")
