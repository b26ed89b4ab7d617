"""The API's own route class: the edge of every route, applied to the route that matched.

Around the route's handler, outermost first: the access-log entry (for routes that serve personal
data), the body limit (the body is read in full, within the route's limit, before anything else looks
at it), and the Idempotency-Key. A router states the facts its routes share with `route_class(...)`;
a route that differs says so with `declare(...)` (see `route_facts`).
"""

from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, ClassVar

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from wijkregistratie.core.access_log import logged
from wijkregistratie.core.asgi import BodyTooLarge, no_receive, read_body, replaying
from wijkregistratie.core.database import ANSWER
from wijkregistratie.core.errors import InvalidInput, InvalidParam, PayloadTooLarge, problem_response
from wijkregistratie.core.idempotency import idempotent
from wijkregistratie.core.route_facts import NOT_PERSONAL, RouteFacts, facts_for

# The OpenAPI extension through which a route tells the document it serves personal data.
PERSONAL_EXTENSION = "x-personal-data"
# ... and, for a POST that only reads, that it states a purpose too.
READS_EXTENSION = "x-reads-personal-data"


def limited(app: ASGIApp, facts: RouteFacts) -> ASGIApp:
    """`app` with its request body read in full first, refused with 413 past the route's limit."""

    async def call(scope: Scope, receive: Receive, send: Send) -> None:
        settings = scope["app"].state.settings
        limit = facts.max_body_bytes(settings) if facts.max_body_bytes else settings.max_body_bytes
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        try:
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                raise BodyTooLarge
            body = await read_body(receive, limit)
        except BodyTooLarge:
            refusal = PayloadTooLarge(
                f"The request body is larger than {limit} bytes.", headers={"Connection": "close"}
            )
            await problem_response(Request(scope), refusal)(scope, no_receive, send)
            return
        await app(scope, replaying(body, receive), send)

    return call


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route declares, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


def strict_query(app: ASGIApp, known: frozenset[str]) -> ASGIApp:
    """`app` refusing query parameters the route does not declare: a misspelt or unsupported filter
    answers 400 naming it, instead of an unfiltered list that looks like an answer."""

    async def call(scope: Scope, receive: Receive, send: Send) -> None:
        unknown = sorted({name for name in Request(scope).query_params if name not in known})
        if unknown:
            accepted = ", ".join(sorted(known)) or "none"
            refusal = InvalidInput(
                f"Unknown query parameter '{unknown[0]}'; this operation takes: {accepted}.",
                invalid_params=[
                    InvalidParam(name=name, code="unknown", reason="this operation has no such parameter")
                    for name in unknown
                ],
            )
            await problem_response(Request(scope), refusal)(scope, no_receive, send)
            return
        await app(scope, receive, send)

    return call


class Route(APIRoute):
    """A route of the API; its router's `route_class(...)` gives the facts it shares with its siblings."""

    default_facts: ClassVar[RouteFacts] = NOT_PERSONAL

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        self.facts = facts_for(self.default_facts, endpoint)
        if self.facts.personal:
            purposes = [p.value for p in self.facts.purposes]
            extensions = {PERSONAL_EXTENSION: purposes} | ({READS_EXTENSION: True} if self.facts.reads else {})
            kwargs["openapi_extra"] = (kwargs.get("openapi_extra") or {}) | extensions
        super().__init__(path, endpoint, **kwargs)
        # A POST that only reads has nothing to do twice: it is answered afresh, with its purpose, every time.
        edge = super().handle if self.facts.reads else idempotent(super().handle)
        edge = limited(edge, self.facts)
        edge = logged(edge, self.facts) if self.facts.personal or self.facts.logged else edge
        self._edge = strict_query(edge, frozenset(_query_names(self.dependant)))

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answered(request: Request) -> Response:
            # Kept where the request's unit of work finds it: its hooks store it with the change.
            response = await handler(request)
            request.scope.setdefault("state", {})[ANSWER] = response
            return response

        return answered

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            await super().handle(scope, receive, send)  # 405: the address is right, the method is not
            return
        await self._edge(scope, receive, send)


def route_class(**facts: Any) -> type[Route]:
    """A route class for a router whose routes share these facts."""
    shared = replace(NOT_PERSONAL, **facts)
    return type("Route", (Route,), {"default_facts": shared})
