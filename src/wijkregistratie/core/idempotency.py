"""Idempotency-Key on every POST: a retry gets the first answer instead of a second change.

The key is reserved in a transaction of its own before the request runs, scoped to the authenticated
client. The request's own transaction marks the reservation `committed` as it commits its change, so a
change and the fact that the key was used are one; the answer is stored right after. A retry then gets
the stored answer; the same key with another request gets 422; a key whose first request is still running
gets 409. A reservation whose request never committed (the process died) may be taken over after a minute;
one that committed but whose answer was lost is never run again (409 says so).
"""

import hashlib
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import LargeBinary, UniqueConstraint, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wijkregistratie.core.database import utcnow
from wijkregistratie.core.errors import Problem, Unauthorized, problem_response
from wijkregistratie.core.models import code_field, json_field, text_field, timestamp_field
from wijkregistratie.core.security import verify_token

HEADER = b"idempotency-key"
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, as the IETF draft's examples
KEPT = timedelta(hours=24)
STALE = timedelta(minutes=1)
# Headers that belong to this answer only; the rest (Location, ETag, content type) is replayed.
NOT_REPLAYED = {b"content-length", b"date", b"server"}


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("client_id", "key", name="uq_idempotency_keys_client_key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: str = text_field(100)
    key: str = text_field(255)
    request_hash: str = text_field(64)
    state: str = code_field(default="in_progress")  # in_progress, committed, completed
    status_code: int | None = None
    headers: list[list[str]] = json_field()
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = timestamp_field(index=True)


def request_fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests the same request."""
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), query, body])).hexdigest()


class _Refusal(Problem):
    def __init__(self, status: int, slug: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title = status, slug, title


async def mark_committed(session: AsyncSession, reservation: uuid.UUID) -> None:
    """Called by the request's unit of work just before it commits: the key is used up with the change."""
    result = await session.exec(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == reservation, IdempotencyRecord.state == "in_progress")  # type: ignore[arg-type]
        .values(state="committed")
    )
    if result.rowcount != 1:
        raise _Refusal(409, "conflict", "Conflict", "Another request took this Idempotency-Key over; retry with it.")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = dict(scope.get("headers", [])).get(HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        client_id = await self._client(request)
        if client_id is None:  # the route answers 401 itself
            await self.app(scope, receive, send)
            return
        text = key.decode("latin-1")
        if not KEY.match(text):
            detail = "The Idempotency-Key header takes 1 to 255 printable ASCII characters."
            await self._refuse(request, send, 400, "invalid-input", "Invalid input", detail)
            return
        body, replay_receive = await _buffer(receive)
        fingerprint = request_fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        sessionmaker = scope["app"].state.sessionmaker
        try:
            async with sessionmaker() as session:
                record = await _reserve(session, client_id, text, fingerprint)
        except _Refusal as refusal:
            await self._refuse(request, send, refusal.status, refusal.slug, refusal.title, refusal.detail)
            return
        if record.state == "completed":
            await _replay(record, send)
            return
        scope.setdefault("state", {})["idempotency_reservation"] = record.id
        answer: dict[str, Any] = {"status": 500, "headers": [], "body": b""}
        settled = False

        async def settle_then_send(message: Message) -> None:
            # The answer is kept (or the key freed) before the caller gets it, so its retry finds it.
            nonlocal settled
            if message["type"] == "http.response.start":
                answer["status"], answer["headers"] = message["status"], list(message.get("headers", []))
                return
            if message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                async with sessionmaker() as session:
                    await _settle(session, record.id, answer)
                settled = True
                start = {"type": "http.response.start", "status": answer["status"], "headers": answer["headers"]}
                await send(start)
                await send({"type": "http.response.body", "body": answer["body"]})
                return
            await send(message)

        try:
            await self.app(scope, replay_receive, settle_then_send)
        finally:
            if not settled:  # the route failed without an answer
                async with sessionmaker() as session:
                    await _settle(session, record.id, answer)

    @staticmethod
    async def _client(request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            state = request.app.state
            return (await verify_token(token.strip(), state.settings, state.jwks)).client_id
        except Unauthorized:
            return None

    @staticmethod
    async def _refuse(request: Request, send: Send, status: int, slug: str, title: str, detail: str) -> None:
        response = problem_response(request, status, slug, title, detail)
        await response(request.scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body (its size is already limited) so it can be fingerprinted and then handed on."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


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
        raise _Refusal(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "This Idempotency-Key was used for another request; use a new key for a new request.",
        )
    if existing.state == "completed":
        return existing
    if existing.state == "committed":
        raise _Refusal(
            409,
            "conflict",
            "Conflict",
            "The request with this Idempotency-Key was carried out, but its answer was lost; read the resource.",
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
    raise _Refusal(409, "conflict", "Conflict", "A request with this Idempotency-Key is still being processed.")


async def _settle(session: AsyncSession, reservation: uuid.UUID, answer: dict[str, Any]) -> None:
    """Keep the answer of a request that changed something; free the key of one that changed nothing."""
    record = await session.get(IdempotencyRecord, reservation)
    if record is None:
        return
    if answer["status"] >= 400 and record.state == "in_progress":
        await session.delete(record)
    else:
        record.state = "completed"
        record.status_code = answer["status"]
        record.headers = [
            [name.decode("latin-1"), value.decode("latin-1")]
            for name, value in answer["headers"]
            if name.lower() not in NOT_REPLAYED
        ]
        record.body = answer["body"]
        session.add(record)
    await session.commit()


async def _replay(record: IdempotencyRecord, send: Send) -> None:
    body = record.body or b""
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in record.headers]
    headers += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": record.status_code or 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
