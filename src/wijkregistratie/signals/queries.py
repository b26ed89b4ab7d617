import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.access_log import note_subjects
from wijkregistratie.core.route_facts import Subject, path_ids
from wijkregistratie.signals.models import Signal, SignalAssignment
from wijkregistratie.signals.schemas import SignalRead


async def signal_reads(session: AsyncSession, signals: Sequence[Signal]) -> list[SignalRead]:
    """Signals with their assigned professionals, in one query for the lot; each shown is noted for the
    access log."""
    note_subjects(session, *(Subject(case_id=s.case_id, household_id=s.household_id) for s in signals))
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


async def signal_subject(session: AsyncSession, params: Mapping[str, Any]) -> Subject:
    """For the access log: an address naming a signal is about its household (and its case, once taken up)."""
    (signal_id,) = path_ids(params, "signalId")
    signal = await session.get(Signal, signal_id) if signal_id else None
    if signal is None:
        return Subject()
    return Subject(case_id=signal.case_id, household_id=signal.household_id)
