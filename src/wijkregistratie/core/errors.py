"""Problem details (RFC 9457) for every error the API gives.

Services raise the exceptions below; the handlers turn them, and anything the framework or the
database raises, into ``application/problem+json``. No handler ever puts a stack trace, an input
value or other personal data into a response or a log line.
"""

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:nl:wijkregistratie:problem:"

log = logging.getLogger("wijkregistratie.errors")


class InvalidParam(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The offending field or parameter, as a dotted path.", max_length=200)
    code: str = Field(description="A stable code for the kind of mistake.", max_length=100)
    reason: str = Field(description="What is wrong, in plain words.", max_length=500)


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:nl:wijkregistratie:problem:invalid-input",
                    "title": "Invalid input",
                    "status": 400,
                    "detail": "The request has 1 invalid field.",
                    "instance": "/v1/signals",
                    "invalidParams": [
                        {
                            "name": "household.address.postcode",
                            "code": "value_error",
                            "reason": "not a Dutch postcode (1234AB)",
                        }
                    ],
                }
            ]
        },
    )

    type: str = Field(description="A URI naming the kind of problem.", max_length=200)
    title: str = Field(description="A short summary of the kind of problem.", max_length=200)
    status: int = Field(description="The HTTP status code.", ge=100, le=599)
    detail: str = Field(description="What went wrong in this case.", max_length=2000)
    instance: str = Field(description="The path of the request that failed.", max_length=2000)
    invalid_params: list[InvalidParam] | None = Field(
        default=None, alias="invalidParams", description="Per field, what is wrong (400 only).", max_length=100
    )


class Problem(Exception):
    """An error the API answers with. Each kind is one class: its status, the slug of its `type`, its title,
    and what the OpenAPI document says of it (a description and an example detail)."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"
    description: str = "An unexpected error; no details are given."
    example: str = "An unexpected error occurred; it has been logged."

    def __init__(
        self,
        detail: str,
        *,
        invalid_params: Sequence[InvalidParam] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.invalid_params = list(invalid_params) if invalid_params else None
        self.headers = headers or {}


class InvalidInput(Problem):
    status, slug, title = 400, "invalid-input", "Invalid input"
    description = "The input is invalid; `invalidParams` names each field."
    example = "The request has 1 invalid field."

    @classmethod
    def field(cls, name: str, reason: str, code: str = "invalid") -> "InvalidInput":
        return cls(
            f"The field '{name}' is invalid: {reason}.",
            invalid_params=[InvalidParam(name=name, code=code, reason=reason)],
        )


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Not authenticated"
    description = "No valid access token."
    example = "The access token is invalid or expired."

    def __init__(self, detail: str, *, error: str = "invalid_token") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": f'Bearer realm="wijkregistratie", error="{error}"'})


class Forbidden(Problem):
    status, slug, title = 403, "insufficient-scope", "Insufficient scope"
    description = "The token lacks a scope this operation needs, or the caller's role may not do this."
    example = "This operation needs the scope record:write."


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"
    description = "The resource does not exist, or the caller may not see it."
    example = "No case with this id exists, or you may not see it."


class MethodNotAllowed(Problem):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"
    description = "The address does not take this method; `Allow` names those it takes."
    example = "This address takes GET, POST."


class NotAcceptable(Problem):
    status, slug, title = 406, "not-acceptable", "Not acceptable"
    description = "The operation cannot answer in any media type `Accept` names."
    example = "This operation answers application/json or text/csv."


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"
    description = "The change conflicts with the current state."
    example = "The household already has an open case."


class PreconditionFailed(Problem):
    status, slug, title = 412, "precondition-failed", "Precondition failed"
    description = "`If-Match` names a version that is no longer current."
    example = "The resource has changed since you read it."


class PayloadTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Payload too large"
    description = "The request body is too large."
    example = "The request body is larger than 1000000 bytes."


class UnsupportedMediaType(Problem):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"
    description = "The request body has a media type this operation does not take."
    example = "Send the body as application/json."


class IdempotencyKeyReused(Problem):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency-Key reused"
    description = "The `Idempotency-Key` was used before, for a different request."
    example = "This Idempotency-Key was used for another request; use a new key for a new request."


class PreconditionRequired(Problem):
    status, slug, title = 428, "precondition-required", "Precondition required"
    description = "The change needs an `If-Match` header."
    example = "Send If-Match with the ETag you last read."


class TooManyRequests(Problem):
    status, slug, title = 429, "too-many-requests", "Too many requests"
    description = "Too many requests from this client; retry after the seconds in `Retry-After`."
    example = "This client made more than 600 requests in a minute."

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class Unavailable(Problem):
    status, slug, title = 503, "unavailable", "Service unavailable"
    description = "A dependency is unavailable; retry after the time in `Retry-After`."
    example = "The database is unavailable; retry later."

    def __init__(self, detail: str = example, retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


# The one table of the problems the API answers with, by status: handlers and the OpenAPI document use it.
PROBLEMS: dict[int, type[Problem]] = {
    kind.status: kind
    for kind in (
        InvalidInput,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        IdempotencyKeyReused,
        PreconditionRequired,
        TooManyRequests,
        Problem,
        Unavailable,
    )
}


def route_template(scope: Any) -> str:
    """The route's template (`/v1/cases/{caseId}`), never the concrete path: ids stay out of logs and metrics."""
    return getattr(scope.get("route"), "path", None) or "unmatched"


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    body = ProblemDetails(
        type=PROBLEM_TYPE_PREFIX + problem.slug,
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        instance=request.url.path,
        invalid_params=problem.invalid_params,
    )
    return JSONResponse(
        body.model_dump(by_alias=True, exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def _param_name(location: Sequence[Any]) -> str:
    """('body', 'household', 'members', 0, 'bsn') -> 'household.members[0].bsn'."""
    parts = list(location)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def _reason(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    # Pydantic prefixes the messages of custom validators; the prefix tells the caller nothing.
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def invalid_params_from(errors: Sequence[Any]) -> list[InvalidParam]:
    # Input values are left out on purpose: they may be personal data. A long reason (a choice among
    # every event type, say) is clipped to what the contract promises rather than failing the answer.
    return [
        InvalidParam(
            name=_clip(_param_name(e.get("loc", ())), 200),
            code=_clip(str(e.get("type", "invalid")), 100),
            reason=_clip(_reason(e), 500),
        )
        for e in errors
    ]


def _allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document lists for the requested path (its paths are relative to /v1)."""
    path = request.url.path.removeprefix("/v1")
    paths: dict[str, Any] = request.app.openapi().get("paths", {})
    # A literal address goes before any template it also fits (/households/search).
    item: dict[str, Any] = paths.get(path) or next(
        (
            candidate
            for template, candidate in paths.items()
            if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), path)
        ),
        {},
    )
    return sorted(m.upper() for m in item if m in {"get", "put", "post", "patch", "delete"})


# SQLSTATE classes and codes that say the connection, not the request, failed: connection exceptions (08),
# the server shutting down or starting up (57P01-57P03), and too many connections (53300).
LOST_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def _sqlstate(exc: DBAPIError) -> str:
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    return str(state or "")


def connection_lost(exc: DBAPIError) -> bool:
    """Whether a database error means the database could not be reached, rather than a refused statement.

    SQLAlchemy marks a disconnect it recognises; asyncpg's own connection errors arrive wrapped, their
    cause an OSError (refused, reset) or an error with a connection SQLSTATE.
    """
    if exc.connection_invalidated:
        return True
    causes = [exc.orig, getattr(exc.orig, "__cause__", None), exc.__cause__]
    if any(isinstance(cause, OSError | TimeoutError) for cause in causes):
        return True
    if any(type(cause).__name__ in {"ConnectionDoesNotExistError", "InterfaceError"} for cause in causes):
        return "connection" in str(exc.orig).lower()
    return _sqlstate(exc).startswith(LOST_CONNECTION_STATES)


def failure_problem(exc: Exception) -> Problem:
    """What a failure that happened while an answer was being kept (the access log's entry, the idempotency
    record) answers instead: 503 when the database could not be reached, else a plain server error."""
    unreachable = isinstance(exc, OperationalError | ConnectionError) or (
        isinstance(exc, DBAPIError) and connection_lost(exc)
    )
    return Unavailable() if unreachable else Problem(Problem.example)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        params = invalid_params_from(exc.errors())
        count = len(params)
        detail = f"The request has {count} invalid field{'s' if count != 1 else ''}."
        return problem_response(request, InvalidInput(detail, invalid_params=params))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = PROBLEMS.get(exc.status_code)
        detail = exc.detail if isinstance(exc.detail, str) else "The request cannot be answered."
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            detail = "There is no resource at this address, or you may not see it."
        if exc.status_code == 405:
            # The router names only the first route that matched the path; the contract knows them all.
            allowed = _allowed_methods(request)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
                detail = f"This address takes {', '.join(allowed)}."
        problem = Problem(detail, headers=headers)
        problem.status = exc.status_code
        problem.slug, problem.title = (kind.slug, kind.title) if kind else ("http-error", "HTTP error")
        return problem_response(request, problem)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A concurrent write won a race a service check could not see; the constraint held.
        log.warning("integrity conflict on %s", route_template(request.scope))
        return problem_response(request, Conflict("The change conflicts with the current state; reload and retry."))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if connection_lost(exc):
            return await _unavailable(request, exc)
        # SQLSTATE class 22 (data exception): a value that passed validation but that the database cannot
        # hold or compare, such as a NUL character in a query parameter. Bad input, not a server error.
        if isinstance(exc, DataError) or _sqlstate(exc).startswith("22"):
            log.warning("value refused by the database on %s", route_template(request.scope))
            return problem_response(request, InvalidInput("A value in the request cannot be stored or searched for."))
        return await _unexpected(request, exc)

    @app.exception_handler(OperationalError)
    @app.exception_handler(ConnectionError)
    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        cause = exc.orig if isinstance(exc, DBAPIError) else exc
        log.error("database unavailable: %s on %s", type(cause).__name__, route_template(request.scope))
        return problem_response(request, Unavailable())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected %s on %s", type(exc).__name__, route_template(request.scope))
        return problem_response(request, Problem(Problem.example))
