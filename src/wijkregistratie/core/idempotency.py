"""Idempotency-Key on every authenticated POST: a retry gets the first answer instead of a second change.

The key is reserved in a transaction of its own before the request runs, scoped to the authenticated
client. The request's own transaction stores the answer with the change (a before-commit hook of its unit
of work, which finds the answer the route built), so a change and the answer its retry gets are one: a
process that dies after the commit leaves the answer behind. A retry then gets the stored answer; the
same key with another request gets 422; a key whose first request is still running gets 409. A
reservation whose request never committed (the process died) may be taken over after a minute. Only an
answer streamed after the commit is stored after it; if that is lost, the key is never run again (409).
"""

import hashlib
import re
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wijkregistratie.core.access_log import DISCLOSED
from wijkregistratie.core.asgi import no_receive, read_body, replaying
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.database import answer_of, before_commit, committed
from wijkregistratie.core.errors import (
    Conflict,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    Problem,
    Unauthorized,
    failure_problem,
    problem_response,
)
from wijkregistratie.core.models import IdempotencyRecord
from wijkregistratie.core.route_facts import SightCheck, Subject
from wijkregistratie.core.security import Authenticator, Principal

HEADER = b"idempotency-key"
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, as the IETF draft's examples
KEPT = timedelta(hours=24)
STALE = timedelta(minutes=1)
# Headers that belong to this answer only; the rest (Location, ETag, content type) is replayed.
NOT_REPLAYED = {b"content-length", b"date", b"server"}


def request_fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests the same request."""
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), query, body])).hexdigest()


async def use_up(session: AsyncSession, reservation: uuid.UUID, scope: Scope) -> bool:
    """Run by the request's unit of work just before it commits: the key is used up with the change, and
    the route's answer is kept with it. False when the answer could not be kept yet (it is streamed)."""
    response = answer_of(scope)
    kept: dict[str, Any] = {"state": "committed"}
    if response is not None:
        subject = _subject(scope)
        kept = {
            "state": "completed",
            "status_code": response.status_code,
            "headers": _replayed_headers(response.raw_headers),
            "body": bytes(response.body),
            "case_id": subject.case_id,
            "household_id": subject.household_id,
        }
    result = await session.exec(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == reservation, IdempotencyRecord.state == "in_progress")  # type: ignore[arg-type]
        .values(**kept)
    )
    if result.rowcount != 1:
        raise Conflict("Another request took this Idempotency-Key over; retry with it.")
    return response is not None


def idempotent(app: ASGIApp) -> ASGIApp:
    """`app` (a route's handler) taking an Idempotency-Key on POST."""

    async def call(scope: Scope, receive: Receive, send: Send) -> None:
        key = next((v for k, v in scope["headers"] if k == HEADER), None)
        principal = await _principal(scope) if key is not None and scope["method"] == "POST" else None
        if key is None or principal is None:  # without a valid token the route answers 401 itself
            await app(scope, receive, send)
            return
        client_id = principal.client_id
        text = key.decode("latin-1")
        if not KEY.match(text):
            await _refuse(scope, send, InvalidInput.field("Idempotency-Key", "1 to 255 printable ASCII characters"))
            return
        body = await read_body(receive)
        fingerprint = request_fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        sessionmaker = scope["app"].state.sessionmaker
        try:
            async with sessionmaker() as session:
                record = await _reserve(session, client_id, text, fingerprint)
        except Problem as refusal:
            await _refuse(scope, send, refusal)
            return
        if record.state == "completed":
            if await _may_see_again(scope, principal, record):
                await _replay(record, send)
            else:  # what the first answer showed is no longer the caller's to see
                await _refuse(scope, send, NotFound("There is no answer at this key that you may see."))
            return
        reservation = record.id
        kept = settled = False

        async def keep_with_change(session: AsyncSession) -> None:
            nonlocal kept
            kept = await use_up(session, reservation, scope)

        before_commit(scope, keep_with_change)
        answer: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def settle_then_send(message: Message) -> None:
            # The answer is kept (or the key freed) before the caller gets it, so its retry finds it.
            nonlocal settled
            if kept and committed(scope):  # stored with the change
                settled = True
                await send(message)
                return
            if message["type"] == "http.response.start":
                answer["status"], answer["headers"] = message["status"], list(message.get("headers", []))
                return
            if message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                settled = True
                try:
                    async with sessionmaker() as session:
                        await _settle(session, reservation, answer, _subject(scope))
                except Exception as exc:  # the answer could not be kept: say so rather than lose it silently
                    await problem_response(Request(scope), failure_problem(exc))(scope, no_receive, send)
                    return
                start = {"type": "http.response.start", "status": answer["status"], "headers": answer["headers"]}
                await send(start)
                await send({"type": "http.response.body", "body": answer["body"]})
                return
            await send(message)

        try:
            await app(scope, replaying(body, receive), settle_then_send)
        finally:
            if not settled:  # the route failed without an answer
                async with sessionmaker() as session:
                    await _settle(session, reservation, answer, _subject(scope))

    return call


async def _principal(scope: Scope) -> Principal | None:
    authorization = next((v for k, v in scope["headers"] if k == b"authorization"), b"").decode("latin-1")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        authenticator: Authenticator = scope["app"].state.authenticator
        return await authenticator.principal(token.strip())
    except Unauthorized:
        return None


def _subject(scope: Scope) -> Subject:
    """Whose file the answer shows, as the route noted it: kept with the answer."""
    noted = [s for s in scope.get("state", {}).get(DISCLOSED, []) if s.household_id]
    return noted[0] if noted else Subject()


async def _may_see_again(scope: Scope, principal: Principal, record: IdempotencyRecord) -> bool:
    if record.household_id is None and record.case_id is None:
        return True
    sight: SightCheck = scope["app"].state.sight
    async with scope["app"].state.sessionmaker() as session:
        return await sight(session, principal, Subject(case_id=record.case_id, household_id=record.household_id))


async def _refuse(scope: Scope, send: Send, problem: Problem) -> None:
    await problem_response(Request(scope), problem)(scope, no_receive, send)


async def _reserve(session: AsyncSession, client_id: str, key: str, fingerprint: str) -> IdempotencyRecord:
    now = utcnow()
    await session.exec(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.client_id == client_id,  # type: ignore[arg-type]
            IdempotencyRecord.key == key,  # type: ignore[arg-type]
            IdempotencyRecord.created_at < now - KEPT,  # type: ignore[arg-type]
        )
    )
    record = IdempotencyRecord(client_id=client_id, key=key, request_hash=fingerprint, created_at=now)
    session.add(record)
    try:
        await session.commit()
        return record
    except IntegrityError:
        await session.rollback()
    statement = select(IdempotencyRecord).where(IdempotencyRecord.client_id == client_id, IdempotencyRecord.key == key)
    existing = (await session.exec(statement)).first()
    if existing is None:  # settled and removed in between: the first request failed; this one may run
        return await _reserve(session, client_id, key, fingerprint)
    if existing.request_hash != fingerprint:
        raise IdempotencyKeyReused(IdempotencyKeyReused.example)
    if existing.state == "completed":
        return existing
    if existing.state == "committed":
        raise Conflict(
            "The request with this Idempotency-Key was carried out, but its answer was lost; read the resource."
        )
    taken = await session.exec(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.id == existing.id,  # type: ignore[arg-type]
            IdempotencyRecord.state == "in_progress",  # type: ignore[arg-type]
            IdempotencyRecord.created_at < now - STALE,  # type: ignore[arg-type]
        )
        .values(created_at=now)
    )
    await session.commit()
    if taken.rowcount == 1:  # its first request died before committing anything
        return existing
    raise Conflict("A request with this Idempotency-Key is still being processed.")


async def _settle(session: AsyncSession, reservation: uuid.UUID, answer: dict[str, Any], subject: Subject) -> None:
    """Keep the answer of a request that changed something; free the key of one that changed nothing."""
    record = await session.get(IdempotencyRecord, reservation)
    if record is None:
        return
    if answer["status"] >= 400 and record.state == "in_progress":
        await session.delete(record)
    else:
        record.state = "completed"
        record.status_code = answer["status"]
        record.headers = _replayed_headers(answer["headers"])
        record.body = answer["body"]
        record.case_id, record.household_id = subject.case_id, subject.household_id
        session.add(record)
    await session.commit()


def _replayed_headers(headers: list[tuple[bytes, bytes]]) -> list[list[str]]:
    return [[n.decode("latin-1"), v.decode("latin-1")] for n, v in headers if n.lower() not in NOT_REPLAYED]


async def _replay(record: IdempotencyRecord, send: Send) -> None:
    body = record.body or b""
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in record.headers]
    headers += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": record.status_code or 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
