"""Request bodies are bounded before anything else reads them.

Pure ASGI, installed by ``install_web_chassis`` on every service. A declared
``Content-Length`` over the limit is answered 413 at once, before the app (its
authentication included) runs; a body without one (chunked) is counted while it streams
in, and the read that passes the limit raises :class:`RequestBodyTooLarge`, which the
chassis' error handler answers with the same 413 problem. Nothing past the limit is
ever buffered.

The limit is a default with overrides by path prefix, where a ``*`` segment matches any
one segment (``/campaigns/*/spend-imports``); the longest matching prefix wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_BODY_LIMIT = 1024 * 1024
"""Bytes a request body may have unless a route says otherwise (JSON APIs and forms)."""

PROBLEM_JSON = b"application/problem+json"


class RequestBodyTooLarge(HTTPException):
    """The body passed the route's limit while streaming in."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")
        self.limit = limit


class BodyLimits:
    """Which limit applies to a path: the longest matching prefix, else the default."""

    def __init__(self, default: int, overrides: Mapping[str, int] | None = None) -> None:
        self.default = default
        self._rules = sorted(
            (
                (_prefix_pattern(prefix), len(prefix), limit)
                for prefix, limit in (overrides or {}).items()
            ),
            key=lambda rule: -rule[1],
        )

    def for_path(self, path: str) -> int:
        for pattern, _, limit in self._rules:
            if pattern.match(path):
                return limit
        return self.default


def _prefix_pattern(prefix: str) -> re.Pattern[str]:
    parts = [("[^/]+" if part == "*" else re.escape(part)) for part in prefix.split("/")]
    return re.compile("/".join(parts))


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope["path"])
        declared = _content_length(scope)
        if declared is None and _has_header(scope, b"content-length"):
            await _refuse(send, 400, "Bad Request", "The Content-Length header is not a number.")
            return
        if declared is not None and declared > limit:
            await _refuse(send, 413, "Content Too Large", RequestBodyTooLarge(limit).detail)
            return
        received = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestBodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except RequestBodyTooLarge as exc:
            # Raised where no exception handler sits (another middleware read the body).
            if started:
                raise
            await _refuse(send, 413, "Content Too Large", str(exc.detail))


async def _refuse(send: Send, status: int, title: str, detail: str) -> None:
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),  # the rest of the body is not read
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _has_header(scope: Scope, name: bytes) -> bool:
    return any(key == name for key, _ in scope.get("headers", []))


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
