import uuid
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.signals.models import Signal, SignalAssignment
from wijkregistratie.signals.schemas import SignalRead


async def signal_reads(session: AsyncSession, signals: Sequence[Signal]) -> list[SignalRead]:
    """Signals with their assigned professionals, in one query for the lot."""
    ids = [s.id for s in signals]
    assigned: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    if ids:
        statement = (
            select(SignalAssignment)
            .where(col(SignalAssignment.signal_id).in_(ids))
            .order_by(col(SignalAssignment.assigned_at), col(SignalAssignment.professional_id))
        )
        for assignment in (await session.exec(statement)).all():
            assigned[assignment.signal_id].append(assignment.professional_id)
    return [SignalRead.model_validate(s.model_dump() | {"assigned_professional_ids": assigned[s.id]}) for s in signals]
