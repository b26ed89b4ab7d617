"""Engine, sessions and the request's unit of work.

One unit of work per request: the session is committed when the route function returns and
before the response is sent, so nothing is acknowledged that is not stored. Whatever must be part of
that same commit (the answer kept for its Idempotency-Key, the access-log entry) is registered as a
before-commit hook on the request, so this module needs to know none of it; the hooks find the route's
answer, built before the commit, with `answer_of`.
"""

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy import Select, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.settings import Settings

BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
BEFORE_COMMIT = "before_commit"  # request state: hooks that run in the request's transaction, last
# The session of a request carries that request's state, so what a service learns (whose file it showed,
# for the access log) reaches the layers around the route.
REQUEST_STATE = "request_state"
ANSWER = "answer"  # request state: the route's response, built before its unit of work commits
COMMITTED = "committed"  # request state: the unit of work committed
# The channel on which every commit that writes events is announced (PostgreSQL NOTIFY), so the worker's
# jobs that follow the change feed start at once instead of at their next poll.
CHANGES_CHANNEL = "wijkregistratie_changes"


def create_engine(
    database_url: str, *, pool_size: int = 5, max_overflow: int = 5, transaction_pooling: bool = False
) -> AsyncEngine:
    """The engine of one process. PostgreSQL connections are not pinged at every checkout (three round
    trips each): a connection the server dropped fails its request with 503 and makes the pool replace
    every connection older than it, so the next request finds a live one."""
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if transaction_pooling:
        # Behind PgBouncer in transaction mode each transaction may get another server connection: no
        # statement is kept prepared for the next, and names cannot collide between clients.
        return create_async_engine(
            database_url,
            poolclass=NullPool,
            connect_args={
                "statement_cache_size": 0,
                "prepared_statement_cache_size": 0,
                "prepared_statement_name_func": lambda: f"__wr_{uuid.uuid4().hex}__",
            },
        )
    return create_async_engine(database_url, pool_size=pool_size, max_overflow=max_overflow)


def engine_of(settings: Settings, database_url: str | None = None) -> AsyncEngine:
    """The engine of a long-running process (an API worker, the worker), its pool as configured; of the
    primary unless another server's address is given."""
    return create_engine(
        database_url or settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        transaction_pooling=settings.database_transaction_pooling,
    )


def answer_of(scope: MutableMapping[str, Any]) -> Response | None:
    """The route's answer once the route has returned it (before the commit, so a hook can keep it); None
    before, and for an answer streamed after the commit, whose body nothing can keep."""
    answer = scope.get("state", {}).get(ANSWER)
    return answer if isinstance(answer, Response) and isinstance(getattr(answer, "body", None), bytes) else None


def committed(scope: MutableMapping[str, Any]) -> bool:
    """Whether the request's unit of work committed: what its hooks added is stored."""
    return bool(scope.get("state", {}).get(COMMITTED))


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def before_commit(scope: MutableMapping[str, Any], hook: BeforeCommit) -> None:
    """Run `hook` in the request's transaction just before it commits (and not at all if it fails)."""
    scope.setdefault("state", {}).setdefault(BEFORE_COMMIT, []).append(hook)


@asynccontextmanager
async def _unit_of_work(
    request: Request, sessionmaker: async_sessionmaker[AsyncSession], *, commits: bool = True
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        state = session.info[REQUEST_STATE] = request.scope.setdefault("state", {})
        try:
            yield session
            if not commits:
                await session.rollback()
                return
            for hook in state.get(BEFORE_COMMIT, []):
                await hook(session)
            await session.commit()
            state[COMMITTED] = True
        except BaseException:
            await session.rollback()
            raise


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed after the route returns, rolled back on any error."""
    async with _unit_of_work(request, request.app.state.sessionmaker) as session:
        yield session


async def get_stale_session(request: Request) -> AsyncIterator[AsyncSession]:
    """For a read that may be a moment behind (lists, figures): a session on the streaming replica when one
    is configured (`DATABASE_REPLICA_URL`), which writes nothing (the access log then keeps the request's
    entry in a transaction of its own on the primary); otherwise the request's unit of work."""
    replica: async_sessionmaker[AsyncSession] | None = getattr(request.app.state, "replica_sessionmaker", None)
    async with _unit_of_work(request, replica or request.app.state.sessionmaker, commits=replica is None) as session:
        yield session


# The session a route works in; `scope="function"` commits before the response is sent.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
# The session of a read that may be a moment behind the primary.
StaleSession = Annotated[AsyncSession, Depends(get_stale_session, scope="function")]


def lock_key(name: str) -> int:
    """A PostgreSQL advisory-lock key (a signed 64-bit number) for a lock known by its name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def transaction_lock(name: str, *, wait: bool = True, shared: bool = False) -> Select[Any]:
    """The statement taking the named advisory lock until the transaction ends; without `wait` it answers
    at once whether the lock was free; `shared` with any other holder sharing it, not with one holding it
    alone. PostgreSQL only: SQLite runs one writing transaction at a time."""
    if shared:
        return select(func.pg_advisory_xact_lock_shared(lock_key(name)))
    lock = func.pg_advisory_xact_lock if wait else func.pg_try_advisory_xact_lock
    return select(lock(lock_key(name)))


# A write that changes nothing: on SQLite it starts the transaction as a writer, which holds the whole
# database's write lock until commit (reads alone run outside any transaction there).
SQLITE_WRITE_LOCK = text("UPDATE idempotency_keys SET key = key WHERE 0 = 1")


async def hold_transaction_locks(session: AsyncSession, names: list[str]) -> None:
    """Wait for the named locks and hold them until the transaction ends, taken in one order so that two
    transactions wanting the same locks cannot deadlock. SQLite has one lock, for every writer."""
    if session.get_bind().dialect.name != "postgresql":
        await session.exec(SQLITE_WRITE_LOCK)  # type: ignore[call-overload]
        return
    for name in sorted(set(names)):
        await session.scalar(transaction_lock(name))


async def try_transaction_lock(session: AsyncSession, name: str) -> bool:
    """Take the named lock for this transaction if it is free; True on SQLite, which needs none."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(await session.scalar(transaction_lock(name, wait=False)))
