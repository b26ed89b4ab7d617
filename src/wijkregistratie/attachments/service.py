"""Files on a case: bounded in size, of an allowed type (checked against the content, not only the name),
with a checksum, and seen under the same need-to-know rules as the case."""

import hashlib
import uuid
from pathlib import PurePosixPath, PureWindowsPath

from fastapi import UploadFile
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import CaseAction, require_case_permission
from wijkregistratie.access.visibility import visible_case
from wijkregistratie.attachments.models import Attachment
from wijkregistratie.attachments.schemas import ALLOWED_MEDIA_TYPES, AttachmentRead
from wijkregistratie.core.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import case_event

CHUNK = 64 * 1024
ZIP_BASED = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
}


def _content_matches(media_type: str, head: bytes) -> bool:
    """The first bytes must be what the declared type says; a renamed executable is not a PDF."""
    if media_type == "application/pdf":
        return head.startswith(b"%PDF-")
    if media_type == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if media_type == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if media_type in ZIP_BASED:
        return head.startswith(b"PK\x03\x04")
    if media_type == "text/plain":
        return b"\x00" not in head
    return False


def _safe_name(filename: str | None) -> str:
    name = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()
    return (name or "attachment")[:255]


async def upload(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, file: UploadFile, max_bytes: int
) -> AttachmentRead:
    case = await visible_case(session, principal, case_id)
    await require_case_permission(session, principal, case, CaseAction.change_record)
    media_type = (file.content_type or "").split(";")[0].strip().lower()
    if media_type not in ALLOWED_MEDIA_TYPES:
        allowed = ", ".join(sorted(ALLOWED_MEDIA_TYPES))
        raise UnsupportedMediaType(f"Files of type '{media_type or 'unknown'}' are not taken; allowed: {allowed}.")
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"An attachment is at most {max_bytes} bytes.")
        digest.update(chunk)
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content:
        raise InvalidInput.field("file", "the file is empty")
    if not _content_matches(media_type, content[:16]) or (media_type == "text/plain" and not _is_utf8(content)):
        raise UnsupportedMediaType(f"The content of the file is not {ALLOWED_MEDIA_TYPES[media_type]}.")
    attachment = Attachment(
        case_id=case.id,
        organisation_id=principal.organisation_id,
        name=_safe_name(file.filename),
        media_type=media_type,
        size=size,
        sha256=digest.hexdigest(),
        content=content,
    )
    session.add(attachment)
    data = {"attachmentId": attachment.id, "mediaType": media_type, "size": size, "sha256": attachment.sha256}
    await case_event(session, EventType.attachment_added, case, principal, data)
    return AttachmentRead.model_validate(attachment)


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in content


async def list_attachments(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[AttachmentRead]:
    case = await visible_case(session, principal, case_id)
    columns = [c for c in Attachment.__table__.columns if c.name != "content"]  # type: ignore[attr-defined]
    statement = select(*columns).where(col(Attachment.case_id) == case.id).order_by(col(Attachment.created_at))
    rows = (await session.exec(statement)).all()
    return [AttachmentRead.model_validate(dict(row._mapping)) for row in rows]


async def get_attachment(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID
) -> Attachment:
    case = await visible_case(session, principal, case_id)
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case.id:
        raise NotFound("No attachment with this id exists on this case.")
    return attachment
