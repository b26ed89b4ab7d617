import uuid
from datetime import datetime

from pydantic import ConfigDict, Field

from wijkregistratie.core.schemas import ApiModel

ALLOWED_MEDIA_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "text/plain": "plain text (UTF-8)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
}


class AttachmentRead(ApiModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "id": "9b8e3f5e-4d0a-4a57-8c1f-8f2b9d016f1c",
                    "caseId": "0b8f6f5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
                    "organisationId": "6f1c1b8e-3f5e-4d0a-9a57-6c1f8f2b9d01",
                    "name": "betalingsregeling.pdf",
                    "mediaType": "application/pdf",
                    "size": 48213,
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "createdAt": "2026-03-12T09:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    case_id: uuid.UUID
    organisation_id: uuid.UUID
    name: str = Field(max_length=255)
    media_type: str = Field(max_length=100)
    size: int = Field(ge=0)
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="SHA-256 of the content, hexadecimal.")
    created_at: datetime
