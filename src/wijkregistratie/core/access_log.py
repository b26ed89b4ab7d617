"""The access log (NEN 7513, BIO 8.15): who looked at or changed which file, when, why, from where, and
with what outcome — refusals included.

Every request to an address that holds personal data leaves one entry, written in a transaction of its
own just before the answer goes out (an answer whose entry cannot be written is not given), so a refused
or failed request is logged as well as a successful one. Reads of
personal data must state their purpose in the `Purpose-Of-Use` header (checked with authentication, in
`security.authenticate`). The log is append-only: there is no API to change it, and on PostgreSQL a
trigger refuses every UPDATE and every DELETE of an entry younger than the five-year minimum, whoever
asks; the worker removes entries past the configured retention.
"""

import logging
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, delete
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wijkregistratie.core.database import utcnow
from wijkregistratie.core.errors import route_template
from wijkregistratie.core.models import code_field, text_field, timestamp_field

log = logging.getLogger("wijkregistratie.access_log")

PURPOSE_HEADER = "Purpose-Of-Use"
MINIMUM_RETENTION = timedelta(days=5 * 366)
# The addresses that hold personal data of households; the directory and the figures do not.
PERSONAL_PREFIXES = (
    "/v1/cases",
    "/v1/signals",
    "/v1/households",
    "/v1/matches",
    "/v1/referrals",
    "/v1/events",
    "/v1/access-log",
)
Sequence = BigInteger().with_variant(Integer(), "sqlite")


class Purpose(StrEnum):
    """Why a file is opened; the caller states it with every read of personal data."""

    care = "care"  # helping the household: the professional's own work
    coordination = "coordination"  # triage, lead professional, the team's overview
    referral = "referral"  # handing over to another organisation
    synchronisation = "synchronisation"  # a partner system keeping itself in step
    household_request = "household_request"  # answering the household's own request to see its data
    audit = "audit"  # the data protection officer's or the auditor's check


class AccessLogEntry(SQLModel, table=True):
    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_case_at", "case_id", "at"),
        Index("ix_access_log_household_at", "household_id", "at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(Sequence, primary_key=True, autoincrement=True))
    at: datetime = timestamp_field(index=True)
    client_id: str | None = text_field(100, default=None)
    organisation_id: uuid.UUID | None = None
    professional_id: uuid.UUID | None = Field(default=None, description="The professional the client acts for.")
    action: str = code_field()  # read, list, create, change, erase
    method: str = text_field(10)
    route: str = text_field(200)
    resource_type: str = text_field(40)
    resource_id: str | None = text_field(60, default=None)
    case_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    purpose: str | None = text_field(40, default=None)
    source_address: str | None = text_field(64, default=None)
    status: int
    outcome: str = code_field()  # allowed, refused, failed


def is_personal(path: str) -> bool:
    return path.startswith(PERSONAL_PREFIXES)


def _action(method: str, route: str) -> str:
    if method in ("GET", "HEAD"):
        return "read" if route.endswith("}") else "list"
    if route.endswith("/erasures"):
        return "erase"
    return "create" if method == "POST" else "change"


def _resource(route: str, params: dict[str, Any]) -> tuple[str, str | None]:
    """The most specific thing the address names: `/v1/cases/{caseId}/plan` is the plan of that case."""
    parts = [p for p in route.split("/") if p and p != "v1"]
    resource_type = next((p for p in reversed(parts) if not p.startswith("{")), "unknown")
    ids = [params[p[1:-1]] for p in parts if p.startswith("{") and p[1:-1] in params]
    return resource_type, str(ids[-1]) if ids else None


async def _subject(session: AsyncSession, params: dict[str, Any]) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The case and household an address is about, so the log can be read per file and per household."""
    from wijkregistratie.cases.models import Case
    from wijkregistratie.referrals.models import Referral
    from wijkregistratie.signals.models import Signal

    def as_id(name: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(params[name])) if name in params else None
        except ValueError:
            return None

    case_id, household_id = as_id("caseId"), as_id("householdId")
    if (referral_id := as_id("referralId")) and (referral := await session.get(Referral, referral_id)):
        case_id = referral.case_id
    if (signal_id := as_id("signalId")) and (signal := await session.get(Signal, signal_id)):
        household_id, case_id = signal.household_id, signal.case_id or case_id
    if case_id and household_id is None and (case := await session.get(Case, case_id)):
        household_id = case.household_id
    return case_id, household_id


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_personal(scope["path"]):
            await self.app(scope, receive, send)
            return
        written = False

        async def log_then_send(message: Message) -> None:
            # The entry is kept before the answer goes out: nothing is shown that is not logged.
            nonlocal written
            if message["type"] == "http.response.start":
                written = True
                await self._write(scope, message["status"])
            await send(message)

        try:
            await self.app(scope, receive, log_then_send)
        finally:
            if not written:  # the request failed before it had an answer
                await self._write(scope, 500, strict=False)

    @staticmethod
    async def _write(scope: Scope, status: int, *, strict: bool = True) -> None:
        principal = scope.get("state", {}).get("principal")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        route, params = route_template(scope), dict(scope.get("path_params", {}))
        resource_type, resource_id = _resource(route, params)
        purpose = headers.get(PURPOSE_HEADER.lower())
        client = scope.get("client")
        try:
            async with scope["app"].state.sessionmaker() as session:
                case_id, household_id = await _subject(session, params)
                session.add(
                    AccessLogEntry(
                        client_id=principal.client_id if principal else None,
                        organisation_id=principal.organisation_id if principal else None,
                        professional_id=principal.actor_professional_id if principal else None,
                        action=_action(scope["method"], route),
                        method=scope["method"],
                        route=route,
                        resource_type=resource_type,
                        resource_id=resource_id,
                        case_id=case_id,
                        household_id=household_id,
                        purpose=purpose if purpose in set(Purpose) else None,
                        source_address=client[0] if client else None,
                        status=status,
                        outcome="allowed" if status < 400 else "refused" if status < 500 else "failed",
                    )
                )
                await session.commit()
        except Exception as exc:
            log.error("access log entry not written: %s", type(exc).__name__)
            if strict:  # no entry, no answer
                raise


async def purge(session: AsyncSession, retention_days: int) -> int:
    """Remove entries past the retention period (never less than five years)."""
    keep = max(timedelta(days=retention_days), MINIMUM_RETENTION)
    result = await session.exec(delete(AccessLogEntry).where(AccessLogEntry.at < utcnow() - keep))  # type: ignore[arg-type]
    return int(result.rowcount or 0)
