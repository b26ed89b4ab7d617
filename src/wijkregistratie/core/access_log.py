"""The access log (NEN 7513, BIO 8.15): who looked at or changed which file, when, why, from where, and
with what outcome — refusals included.

Every call of a route that declares it serves personal data leaves one entry. An answer is logged in the
request's own transaction (a before-commit hook), so it is given only if its entry was stored with it; a
request refused or failed before its commit is logged in a transaction of its own just before its answer
goes out (an answer whose entry cannot be written is not given). Reads of personal data must state their
purpose in the `Purpose-Of-Use` header (checked with authentication, in `security.authenticate`). The
log is append-only: there is no API to change it, and on PostgreSQL a trigger refuses every UPDATE and
every DELETE of an entry younger than the five-year minimum, whoever asks; the worker removes entries past
the configured retention.
"""

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wijkregistratie.core.asgi import no_receive
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.database import REQUEST_STATE, answer_of, before_commit, committed
from wijkregistratie.core.errors import failure_problem, problem_response, route_template
from wijkregistratie.core.models import AccessLogEntry
from wijkregistratie.core.purpose import PURPOSE_HEADER, Purpose
from wijkregistratie.core.route_facts import RouteFacts, Subject, access_action
from wijkregistratie.core.security import Principal

log = logging.getLogger("wijkregistratie.access_log")

MINIMUM_RETENTION = timedelta(days=5 * 366)
_PURPOSE_HEADER = PURPOSE_HEADER.lower().encode("latin-1")
_PURPOSES = {p.value for p in Purpose}


DISCLOSED = "disclosed"  # request state: the subjects whose data the request showed or changed


def note_subjects(session: AsyncSession, *subjects: Subject) -> None:
    """Say whose file this request showed or changed: each gets an entry of its own, so a household's own
    view of who looked finds lists, searches and registrations too. Outside a request it does nothing."""
    state = session.info.get(REQUEST_STATE)
    if state is not None:
        state.setdefault(DISCLOSED, []).extend(s for s in subjects if s.case_id or s.household_id)


def watch_subjects(session: AsyncSession) -> list[Subject]:
    """Outside a request (an adapter's work): collect whose files the services touch in this session, as a
    request would, so the work can be logged as the organisation it was done for."""
    noted: list[Subject] = session.info.setdefault(REQUEST_STATE, {}).setdefault(DISCLOSED, [])
    return noted


def record_access(
    session: AsyncSession,
    principal: Principal,
    *,
    action: str,
    route: str,
    resource_type: str,
    resource_id: str | None,
    subject: Subject,
    status: int,
    purpose: Purpose,
) -> None:
    """An entry for a look or a change made outside a request (a webhook push, an adapter's write), as the
    organisation it was made for; written with the caller's transaction."""
    session.add(
        AccessLogEntry(
            client_id=principal.client_id,
            organisation_id=principal.organisation_id,
            professional_id=principal.actor_professional_id,
            action=action,
            method="-",
            route=route,
            resource_type=resource_type,
            resource_id=resource_id,
            case_id=subject.case_id,
            household_id=subject.household_id,
            purpose=purpose.value,
            source_address=None,
            status=status,
            outcome=outcome(status) if status else "failed",
        )
    )


def outcome(status: int) -> str:
    return "allowed" if status < 400 else "refused" if status < 500 else "failed"


def _resource(route: str, params: Mapping[str, Any]) -> tuple[str, str | None]:
    """The most specific thing the address names: `/v1/cases/{caseId}/plan` is the plan of that case."""
    parts = [p for p in route.split("/") if p and p != "v1"]
    resource_type = next((p for p in reversed(parts) if not p.startswith("{")), "unknown")
    ids = [params[p[1:-1]] for p in parts if p.startswith("{") and p[1:-1] in params]
    return resource_type, str(ids[-1]) if ids else None


def logged(app: ASGIApp, facts: RouteFacts) -> ASGIApp:
    """`app` (a route's handler) with an access-log entry for every call, kept before the answer goes out."""

    async def call(scope: Scope, receive: Receive, send: Send) -> None:
        written = refused = False
        logged_status: int | None = None

        async def log_with_change(session: AsyncSession) -> None:
            nonlocal logged_status
            response = answer_of(scope)
            if response is not None:
                session.add_all(await _entries(session, scope, facts, response.status_code))
                logged_status = response.status_code

        before_commit(scope, log_with_change)

        async def log_then_send(message: Message) -> None:
            nonlocal written, refused
            if refused:  # the caller has been answered that the entry could not be kept
                return
            if message["type"] == "http.response.start":
                written = True
                if not (committed(scope) and message["status"] == logged_status):
                    try:
                        await _write(scope, facts, message["status"])
                    except Exception as exc:  # no entry, no answer: the caller is told, in a problem of its own
                        refused = True
                        await problem_response(Request(scope), failure_problem(exc))(scope, no_receive, send)
                        return
            await send(message)

        try:
            await app(scope, receive, log_then_send)
        finally:
            if not written:  # the request failed before it had an answer
                await _write(scope, facts, 500, strict=False)

    return call


async def _entries(session: AsyncSession, scope: Scope, facts: RouteFacts, status: int) -> list[AccessLogEntry]:
    """One entry per file the request showed or changed, or else per file its address names."""
    principal = scope.get("state", {}).get("principal")
    purpose = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == _PURPOSE_HEADER), None)
    route, params = route_template(scope), dict(scope.get("path_params", {}))
    resource_type, resource_id = _resource(route, params)
    client = scope.get("client")
    subjects = list(scope.get("state", {}).get(DISCLOSED, []))
    if facts.subject and not _names_its_address(subjects, params):
        subjects.append(await facts.subject(session, params))
    return [
        AccessLogEntry(
            client_id=principal.client_id if principal else None,
            organisation_id=principal.organisation_id if principal else None,
            professional_id=principal.actor_professional_id if principal else None,
            action=access_action(scope["method"], route, facts),
            method=scope["method"],
            route=route,
            resource_type=resource_type,
            resource_id=resource_id,
            case_id=subject.case_id,
            household_id=subject.household_id,
            purpose=purpose if purpose in _PURPOSES else None,
            source_address=client[0] if client else None,
            status=status,
            outcome=outcome(status),
        )
        for subject in distinct_subjects(subjects)
    ]


def _names_its_address(subjects: list[Subject], params: Mapping[str, Any]) -> bool:
    """Whether the route already named the file its address is about (with its household), so that the
    address need not be looked up again."""
    named = {str(v) for v in params.values()}
    return any(s.household_id and str(s.case_id or s.household_id) in named for s in subjects)


async def _write(scope: Scope, facts: RouteFacts, status: int, *, strict: bool = True) -> None:
    try:
        async with scope["app"].state.sessionmaker() as session:
            session.add_all(await _entries(session, scope, facts, status))
            await session.commit()
    except Exception as exc:
        log.error("access log entry not written: %s", type(exc).__name__)
        if strict:  # no entry, no answer
            raise


def distinct_subjects(subjects: list[Subject]) -> list[Subject]:
    """Each file once: a case named with and without its household is one entry, and so is a household
    named on its own beside one of its cases."""
    by_case: dict[object, Subject] = {}
    households: dict[object, Subject] = {}
    for subject in subjects:
        if subject.case_id:
            kept = by_case.get(subject.case_id)
            if kept is None or (kept.household_id is None and subject.household_id):
                by_case[subject.case_id] = subject
        elif subject.household_id:
            households.setdefault(subject.household_id, subject)
    with_case = {s.household_id for s in by_case.values()}
    distinct = [*by_case.values(), *(s for h, s in households.items() if h not in with_case)]
    return distinct or [Subject()]


async def purge(session: AsyncSession, retention_days: int) -> int:
    """Remove entries past the retention period (never less than five years)."""
    keep = max(timedelta(days=retention_days), MINIMUM_RETENTION)
    result = await session.exec(delete(AccessLogEntry).where(AccessLogEntry.at < utcnow() - keep))  # type: ignore[arg-type]
    return int(result.rowcount or 0)
