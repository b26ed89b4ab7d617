import uuid
from datetime import UTC

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.rules import CaseAction, require_case_permission
from wijkregistratie.access.visibility import journal_entries_visible_to, visible_case
from wijkregistratie.core.codes import JournalVisibility
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import case_event
from wijkregistratie.journal.models import JournalEntry
from wijkregistratie.journal.schemas import JournalEntryCreate, JournalEntryRead


async def add_entry(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: JournalEntryCreate
) -> JournalEntryRead:
    case = await visible_case(session, principal, case_id)
    await require_case_permission(session, principal, case, CaseAction.change_record)
    if data.occurred_at.tzinfo is None:
        raise InvalidInput.field("occurredAt", "give the time zone, e.g. 2026-03-05T10:00:00+01:00")
    entry = JournalEntry(
        case_id=case.id,
        organisation_id=principal.organisation_id,
        professional_id=principal.actor_professional_id,
        kind=data.kind,
        occurred_at=data.occurred_at.astimezone(UTC),
        participants=data.participants,
        text=data.text,
        visibility=data.visibility,
    )
    session.add(entry)
    shared = data.visibility == JournalVisibility.all_involved
    await case_event(
        session,
        EventType.journal_entry_added,
        case,
        principal,
        {"entryId": entry.id, "kind": entry.kind, "occurredAt": entry.occurred_at, "visibility": entry.visibility},
        recipients=None if shared else {principal.organisation_id},
        to_coordinators=shared,
    )
    return JournalEntryRead.model_validate(entry)


async def get_entry(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, entry_id: uuid.UUID
) -> JournalEntryRead:
    found = next((e for e in await list_entries(session, principal, case_id) if e.id == entry_id), None)
    if found is None:
        raise NotFound("No journal entry with this id exists in this case, or you may not see it.")
    return found


async def list_entries(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[JournalEntryRead]:
    case = await visible_case(session, principal, case_id)
    statement = (
        select(JournalEntry)
        .where(JournalEntry.case_id == case.id, journal_entries_visible_to(principal))
        .order_by(col(JournalEntry.occurred_at), col(JournalEntry.created_at), col(JournalEntry.id))
    )
    return [JournalEntryRead.model_validate(e) for e in (await session.exec(statement)).all()]
