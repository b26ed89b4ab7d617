import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from wijkregistratie.core.codes import SignalStatus
from wijkregistratie.core.database import Session
from wijkregistratie.core.identifiers import Vault
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.security import Reader, Writer
from wijkregistratie.signals import service
from wijkregistratie.signals.schemas import SignalCreate, SignalPage, SignalRead, SignalRegistered

router = APIRouter(prefix=f"{API_PREFIX}/signals", tags=["Signals"])
SignalId = Annotated[uuid.UUID, Path(alias="signalId", description="The signal's id.")]


@router.post(
    "",
    status_code=201,
    summary="Register a signal",
    description="Registers a concern about a household, found by id, by a member's BSN or by address, or "
    "registered with it. The answer says at once whether the household is **already known**: whether it has "
    "an open case, which organisations are involved and who leads, with their contact details — never what "
    "the case is about.",
    responses=errors(409),
)
async def register_signal(session: Session, vault: Vault, principal: Writer, body: SignalCreate) -> SignalRegistered:
    return await service.register_signal(session, vault, principal, body)


@router.get(
    "",
    summary="List signals you may see",
    description="The signals the caller's organisation registered and, for a coordinator, those of the team, "
    "oldest first.",
)
async def list_signals(
    session: Session,
    principal: Reader,
    status: Annotated[SignalStatus | None, Query(description="Only signals with this status.")] = None,
    team_id: Annotated[uuid.UUID | None, Query(alias="teamId")] = None,
    household_id: Annotated[uuid.UUID | None, Query(alias="householdId")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> SignalPage:
    items, next_cursor = await service.list_signals(session, principal, status, team_id, household_id, cursor, limit)
    return SignalPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{signalId}",
    summary="Read a signal",
    description="One signal, for the organisation that registered it and the coordinator of its team.",
    responses=errors(404),
)
async def get_signal(session: Session, principal: Reader, signal_id: SignalId) -> SignalRead:
    return await service.get_signal(session, principal, signal_id)
