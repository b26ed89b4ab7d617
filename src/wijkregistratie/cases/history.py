"""A case's timeline, read from its events: what happened, when, and who did it.

Whoever sees the case sees the entries the whole case was told, also from before it joined, and those
addressed to its own organisation; what went to one other organisation only — its own journal note —
stays out (`history_visible_to`).
"""

import uuid

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.access.visibility import history_visible_to, visible_case
from wijkregistratie.cases.schemas import HistoryEntry
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.security import Principal
from wijkregistratie.events.codes import DESCRIPTIONS, EventType
from wijkregistratie.events.models import Event
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.professionals.models import Professional
from wijkregistratie.signals.models import Signal


async def case_history(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[HistoryEntry], str | None]:
    case = await visible_case(session, principal, case_id)
    signals_taken_up = select(Signal.id).where(Signal.case_id == case.id)
    statement = select(Event).where(
        or_(col(Event.case_id) == case.id, col(Event.signal_id).in_(signals_taken_up)),
        history_visible_to(principal),
    )
    events, next_cursor = await paginate(session, statement, Event.time, Event.id, cursor, limit)
    organisation_ids = {e.organisation_id for e in events if e.organisation_id}
    organisations = dict(
        (
            await session.exec(
                select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(organisation_ids))
            )
        ).all()
    )
    professional_ids = {e.professional_id for e in events if e.professional_id}
    professionals = dict(
        (
            await session.exec(
                select(Professional.id, Professional.name).where(col(Professional.id).in_(professional_ids))
            )
        ).all()
    )
    return [
        HistoryEntry(
            sequence=str(event.sequence),
            time=event.time,
            type=event.type,
            description=DESCRIPTIONS.get(EventType(event.type), ""),
            organisation_id=event.organisation_id,
            organisation_name=organisations.get(event.organisation_id) if event.organisation_id else None,
            professional_id=event.professional_id,
            professional_name=professionals.get(event.professional_id) if event.professional_id else None,
            data=event.data,
        )
        for event in events
    ], next_cursor
