import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from wijkregistratie.cases.queries import case_subject
from wijkregistratie.core.database import Session
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.paths import CaseId
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Reader, Writer
from wijkregistratie.journal import service
from wijkregistratie.journal.schemas import JournalEntryCreate, JournalEntryRead

EntryId = Annotated[uuid.UUID, Path(alias="entryId", description="The journal entry's id.")]

router = APIRouter(
    prefix=API_PREFIX + "/cases/{caseId}/journal",
    tags=["Journal"],
    route_class=route_class(personal=True, subject=case_subject),
)


@router.post(
    "",
    status_code=201,
    summary="Add a journal entry",
    description="A contact moment or note (home visit, phone call, meeting, case discussion). Seen by the own "
    "organisation only, unless `visibility` is `all_involved`.",
    responses=errors(404),
)
async def add_entry(
    session: Session, principal: Writer, case_id: CaseId, body: JournalEntryCreate, response: Response
) -> JournalEntryRead:
    entry = await service.add_entry(session, principal, case_id, body)
    response.headers["Location"] = f"{API_PREFIX}/cases/{case_id}/journal/{entry.id}"
    return entry


@router.get(
    "",
    summary="Read the journal",
    description="The entries of the case the caller may see — its own, and those shared with all involved — "
    "in the order they took place.",
    responses=errors(404),
)
async def list_entries(session: Session, principal: Reader, case_id: CaseId) -> list[JournalEntryRead]:
    return await service.list_entries(session, principal, case_id)


@router.get(
    "/{entryId}",
    summary="Read a journal entry",
    description="One entry of the case's journal, for those who may see it.",
    responses=errors(404),
)
async def get_entry(session: Session, principal: Reader, case_id: CaseId, entry_id: EntryId) -> JournalEntryRead:
    return await service.get_entry(session, principal, case_id, entry_id)
