import base64
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Path, Request, Response, UploadFile
from fastapi.responses import StreamingResponse

from wijkregistratie.attachments import service
from wijkregistratie.attachments.schemas import ALLOWED_MEDIA_TYPES, AttachmentRead
from wijkregistratie.cases.queries import case_subject
from wijkregistratie.core.database import Session
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.paths import CaseId
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Reader, Writer

router = APIRouter(
    prefix=API_PREFIX + "/cases/{caseId}/attachments",
    tags=["Attachments"],
    route_class=route_class(personal=True, subject=case_subject),
)
# The form around the file gets some room of its own beside the file's limit.
FORM_OVERHEAD_BYTES = 64 * 1024
AttachmentId = Annotated[uuid.UUID, Path(alias="attachmentId", description="The attachment's id.")]
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file.",
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in sorted(ALLOWED_MEDIA_TYPES)},
        "headers": {
            "Repr-Digest": {"description": "SHA-256 of the file.", "schema": {"type": "string"}},
            "Content-Disposition": {"description": "The file's name.", "schema": {"type": "string"}},
        },
    }
}


@router.post(
    "",
    status_code=201,
    summary="Attach a file to a case",
    description="Uploads a file as `multipart/form-data` (field `file`). Allowed: "
    + ", ".join(f"`{t}`" for t in sorted(ALLOWED_MEDIA_TYPES))
    + ". The content must match the declared type; the size is bounded (413 above it). The answer carries "
    "the SHA-256 checksum.",
    responses=errors(404, 415),
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "example": {"file": "(the file's bytes)"},
                    "encoding": {"file": {"contentType": ", ".join(sorted(ALLOWED_MEDIA_TYPES))}},
                }
            }
        }
    },
)
@declare(max_body_bytes=lambda settings: settings.max_attachment_bytes + FORM_OVERHEAD_BYTES)
async def upload_attachment(
    request: Request,
    session: Session,
    principal: Writer,
    case_id: CaseId,
    file: Annotated[UploadFile, File(description="The file.")],
    response: Response,
) -> AttachmentRead:
    limit = request.app.state.settings.max_attachment_bytes
    attachment = await service.upload(session, principal, case_id, file, limit)
    response.headers["Location"] = f"{API_PREFIX}/cases/{case_id}/attachments/{attachment.id}/content"
    return attachment


@router.get(
    "",
    summary="List a case's attachments",
    description="Name, type, size and checksum of every file on the case.",
    responses=errors(404),
)
async def list_attachments(session: Session, principal: Reader, case_id: CaseId) -> list[AttachmentRead]:
    return await service.list_attachments(session, principal, case_id)


@router.get(
    "/{attachmentId}/content",
    summary="Download an attachment",
    description="The file itself, streamed, with its media type and a `Repr-Digest` (RFC 9530) to check it by.",
    response_class=StreamingResponse,
    responses=DOWNLOAD | errors(404),
)
async def download_attachment(
    session: Session, principal: Reader, case_id: CaseId, attachment_id: AttachmentId
) -> StreamingResponse:
    attachment = await service.get_attachment(session, principal, case_id, attachment_id)
    content = attachment.content

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), service.CHUNK):
            yield content[start : start + service.CHUNK]

    digest = base64.b64encode(bytes.fromhex(attachment.sha256)).decode()
    return StreamingResponse(
        chunks(),
        media_type=attachment.media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.name)}",
            "Content-Length": str(attachment.size),
            "Repr-Digest": f"sha-256=:{digest}:",
        },
    )
