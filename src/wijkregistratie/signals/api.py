import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from wijkregistratie.core.codes import SignalStatus
from wijkregistratie.core.database import Session, StaleSession
from wijkregistratie.core.etag import CREATED_WITH_ETAG, WITH_ETAG, IfMatch, versioned
from wijkregistratie.core.identifiers import Vault
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit
from wijkregistratie.core.route_facts import declare
from wijkregistratie.core.routes import route_class
from wijkregistratie.core.security import Reader, Writer
from wijkregistratie.signals import service, triage
from wijkregistratie.signals.queries import signal_subject
from wijkregistratie.signals.schemas import (
    FirstContact,
    SignalAccept,
    SignalClaim,
    SignalCreate,
    SignalDecline,
    SignalForward,
    SignalPage,
    SignalRead,
    SignalRegistered,
    SuggestedProfessional,
    TriageActionRead,
)

router = APIRouter(
    prefix=f"{API_PREFIX}/signals", tags=["Signals"], route_class=route_class(personal=True, subject=signal_subject)
)
SignalId = Annotated[uuid.UUID, Path(alias="signalId", description="The signal's id.")]


@router.post(
    "",
    status_code=201,
    summary="Register a signal",
    description="Registers a concern about a household for a team your organisation takes part in whose area "
    "holds the address (by default the team serving it). The household is named by id (one you may see), or "
    "by address and members (with a member's BSN where known), and registered when the record does not know "
    "it: the answer does not say which. It says at once whether the household is **already known**: which "
    "organisations help it and whom to call — never why, in which role or how far. Registering gives sight "
    "of the signal and that answer only, not of the household's file; the answer is logged against the "
    "household, and each client registers a limited number of signals a minute.",
    responses=errors() | CREATED_WITH_ETAG,
)
@declare(per_client_per_minute=lambda settings: settings.signal_rate_limit_per_minute)
async def register_signal(
    session: Session, vault: Vault, principal: Writer, body: SignalCreate, response: Response
) -> SignalRegistered:
    registered = await service.register_signal(session, vault, principal, body)
    return versioned(response, registered, location=f"{API_PREFIX}/signals/{registered.id}")


@router.get(
    "",
    summary="List signals you may see",
    description="The signals the caller's organisation registered and, for a coordinator, those of the team, "
    "oldest first.",
)
async def list_signals(
    session: StaleSession,
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
    responses=errors(404) | WITH_ETAG,
)
async def get_signal(session: Session, principal: Reader, signal_id: SignalId, response: Response) -> SignalRead:
    return versioned(response, await service.get_signal(session, principal, signal_id))


@router.get(
    "/{signalId}/triage-actions",
    summary="List a signal's triage actions",
    description="Who did what to the signal, and when: claimed, first contact, accepted, declined, forwarded.",
    responses=errors(404),
)
async def list_triage_actions(session: Session, principal: Reader, signal_id: SignalId) -> list[TriageActionRead]:
    return await triage.actions(session, principal, signal_id)


@router.get(
    "/{signalId}/suggested-professionals",
    summary="Suggest professionals for a signal",
    description="For the coordinator: the team's professionals whose expertise covers the signal's life "
    "domains, most matching domains first, then the least busy (active cases led plus signals in triage).",
    responses=errors(403, 404),
)
async def suggest_professionals(
    session: Session, principal: Reader, signal_id: SignalId
) -> list[SuggestedProfessional]:
    return await triage.suggest_professionals(session, principal, signal_id)


@router.post(
    "/{signalId}/claim",
    summary="Assign professionals to a signal",
    description="The coordinator assigns one or two professionals of the team (teams go out in pairs) and may "
    "plan the first contact. The signal goes into triage. Needs `If-Match`.",
    responses=errors(403, 404, 409, 412, 428) | WITH_ETAG,
)
async def claim_signal(
    session: Session,
    principal: Writer,
    signal_id: SignalId,
    body: SignalClaim,
    response: Response,
    if_match: IfMatch = None,
) -> SignalRead:
    return versioned(response, await triage.claim(session, principal, signal_id, body, if_match))


@router.post(
    "/{signalId}/take-up",
    summary="Take a signal up yourself",
    description="A professional of the signal's team (the token's own professional) takes up an open signal "
    "of a team their organisation takes part in; a second may join for a pair visit, a third answers 409. "
    "The signal goes into triage, and the professional's organisation now sees it and the household. Find "
    "the signals open to take up, and their versions, with `GET /v1/teams/{teamId}/open-signals`. Needs "
    "`If-Match`.",
    responses=errors(403, 404, 409, 412, 428) | WITH_ETAG,
)
async def take_up_signal(
    session: Session, principal: Writer, signal_id: SignalId, response: Response, if_match: IfMatch = None
) -> SignalRead:
    return versioned(response, await triage.take_up(session, principal, signal_id, if_match))


@router.post(
    "/{signalId}/first-contact",
    summary="Record the first contact",
    description="Records the day of the first contact with the household, which the team's target in days is "
    "measured against. By the coordinator or the organisation of an assigned professional; once.",
    responses=errors(403, 404, 409, 412, 428) | WITH_ETAG,
)
async def record_first_contact(
    session: Session,
    principal: Writer,
    signal_id: SignalId,
    body: FirstContact,
    response: Response,
    if_match: IfMatch = None,
) -> SignalRead:
    return versioned(response, await triage.record_first_contact(session, principal, signal_id, body, if_match))


@router.post(
    "/{signalId}/accept",
    summary="Accept a signal",
    description="The coordinator accepts the signal: it joins the household's open case, or a case of the "
    "signal's team is opened for it.",
    responses=errors(403, 404, 409, 412, 428) | WITH_ETAG,
)
async def accept_signal(
    session: Session,
    principal: Writer,
    signal_id: SignalId,
    body: SignalAccept,
    response: Response,
    if_match: IfMatch = None,
) -> SignalRead:
    return versioned(response, await triage.accept(session, principal, signal_id, body, if_match))


@router.post(
    "/{signalId}/decline",
    summary="Decline a signal",
    description="The coordinator declines the signal, with the reason.",
    responses=errors(403, 404, 409, 412, 428) | WITH_ETAG,
)
async def decline_signal(
    session: Session,
    principal: Writer,
    signal_id: SignalId,
    body: SignalDecline,
    response: Response,
    if_match: IfMatch = None,
) -> SignalRead:
    return versioned(response, await triage.decline(session, principal, signal_id, body, if_match))


@router.post(
    "/{signalId}/forward",
    summary="Forward a signal to an organisation",
    description="The coordinator forwards the signal to an organisation, which from then on sees it.",
    responses=errors(403, 404, 409, 412, 428) | WITH_ETAG,
)
async def forward_signal(
    session: Session,
    principal: Writer,
    signal_id: SignalId,
    body: SignalForward,
    response: Response,
    if_match: IfMatch = None,
) -> SignalRead:
    return versioned(response, await triage.forward(session, principal, signal_id, body, if_match))
