"""What a route says about itself, so that the edge around it needs no list of paths.

Each domain declares on its own routes whether they serve personal data of households, which
access-log action they are, how the case and household an address is about are found, and a body limit
of their own. The access log, the purpose check, the body limit and the OpenAPI document read these
facts from the matched route.
"""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.purpose import Purpose
from wijkregistratie.core.settings import Settings


@dataclass(frozen=True)
class Subject:
    """The case and household an address is about, so the access log can be read per file and per person."""

    case_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None


# Finds the subject from the route's path parameters, in a session of the access log's own.
SubjectLookup = Callable[[AsyncSession, Mapping[str, Any]], Awaitable[Subject]]
# Whether a caller may (still) see a subject: the access module's answer, for what core keeps of a request.
SightCheck = Callable[[AsyncSession, Any, Subject], Awaitable[bool]]


@dataclass(frozen=True)
class RouteFacts:
    # Serves or changes personal data of households: every call is logged, and every read states a purpose.
    personal: bool = False
    # Logged in the access log though it serves no personal data (who changed whose credentials).
    logged: bool = False
    # A POST that only reads (a search whose terms stay out of the URL): it states its purpose like a GET.
    reads: bool = False
    # The purposes a read of this route may state; by default any.
    purposes: tuple[Purpose, ...] = tuple(Purpose)
    # The access-log action; by default read or list for GET (by whether the address ends in an id),
    # create for POST and change for the other methods.
    action: str | None = None
    subject: SubjectLookup | None = field(default=None, compare=False)
    # A body limit other than WR_MAX_BODY_BYTES (uploads take more).
    max_body_bytes: Callable[[Settings], int] | None = field(default=None, compare=False)
    # Calls a client may make of this route per minute, beside the limit on all its calls.
    per_client_per_minute: Callable[[Settings], int] | None = field(default=None, compare=False)


NOT_PERSONAL = RouteFacts()
FACTS_ATTRIBUTE = "__route_facts__"
F = TypeVar("F", bound=Callable[..., Any])


def declare(**facts: Any) -> Callable[[F], F]:
    """Facts of one route that differ from those of its router; put it below the `@router.get(...)` line."""
    RouteFacts(**facts)  # the names are checked where they are written

    def mark(endpoint: F) -> F:
        setattr(endpoint, FACTS_ATTRIBUTE, facts)
        return endpoint

    return mark


def facts_for(defaults: RouteFacts, endpoint: Callable[..., Any]) -> RouteFacts:
    return replace(defaults, **getattr(endpoint, FACTS_ATTRIBUTE, {}))


def facts_of(scope: Mapping[str, Any]) -> RouteFacts:
    """The facts of the route that matched this request; a route outside the API's own states none."""
    facts = getattr(scope.get("route"), "facts", None)
    return facts if isinstance(facts, RouteFacts) else NOT_PERSONAL


def access_action(method: str, route: str, facts: RouteFacts) -> str:
    if facts.action:
        return facts.action
    if method in ("GET", "HEAD"):
        return "read" if route.endswith("}") else "list"
    return "create" if method == "POST" else "change"


def path_ids(params: Mapping[str, Any], *names: str) -> list[uuid.UUID | None]:
    """The named path parameters as ids (None where absent or not an id): for subject lookups."""

    def as_id(name: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(params[name])) if name in params else None
        except ValueError:
            return None

    return [as_id(name) for name in names]
