"""ASGI middleware: body size limit, version and security headers, and request metrics.

Written as plain ASGI so streaming bodies are counted as they arrive and nothing is buffered twice.
"""

import json
import logging
import re
import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wijkregistratie import API_VERSION
from wijkregistratie.core.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_PREFIX, route_template

REQUESTS = Counter(
    "wijkregistratie_http_requests_total",
    "HTTP requests by route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "wijkregistratie_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
]
# The interactive docs load Swagger UI; the dashboard loads its own script and style and calls the API;
# everything else is data and may load nothing at all.
_API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_DASHBOARD_CSP = (
    b"content-security-policy",
    b"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    b"frame-ancestors 'none'",
)


class _TooLarge(Exception):
    pass


# Uploads may be larger than other bodies; the form around the file gets some room of its own.
UPLOAD_PATH = re.compile(r"^/v1/cases/[^/]+/attachments$")
FORM_OVERHEAD_BYTES = 64 * 1024


class HardeningMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes + FORM_OVERHEAD_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and UPLOAD_PATH.match(scope["path"]) is not None
        limit = self.max_upload_bytes if upload else self.max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._too_large(scope, send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"api-version", API_VERSION.encode()))
                headers.extend(_SECURITY_HEADERS)
                if scope["path"].startswith("/dashboard"):
                    headers.append(_DASHBOARD_CSP)
                elif not scope["path"].startswith("/docs"):
                    headers.append(_API_CSP)
                if not any(name == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _TooLarge:
            if started:
                raise
            await self._too_large(scope, send, limit)

    async def _too_large(self, scope: Scope, send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "type": PROBLEM_TYPE_PREFIX + "payload-too-large",
                "title": "Payload too large",
                "status": 413,
                "detail": f"The request body is larger than {limit} bytes.",
                "instance": scope["path"],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"api-version", API_VERSION.encode()),
                    (b"connection", b"close"),
                    *_SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


access_log = logging.getLogger("wijkregistratie.access")


class MetricsMiddleware:
    """Counts and times every request, and writes the access log line.

    Both name the route template, never the concrete path or query: those can carry an address or a
    partner's client number, which do not belong in logs or metrics.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def observe(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            route = route_template(scope)
            method = scope["method"]
            elapsed = time.perf_counter() - started
            REQUESTS.labels(method, route, str(status["code"])).inc()
            LATENCY.labels(method, route).observe(elapsed)
            access_log.info("%s %s %s %.1fms", method, route, status["code"], elapsed * 1000)
