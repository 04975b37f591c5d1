"""Web helpers every service installs: problem details, headers, request ids, metrics,
request-body limits and, in production, the service token in front of the API docs and
``/metrics``.

``install_web_chassis(app, ...)`` wires them in one call from each ``create_app``.
"""

from __future__ import annotations

import hmac
import html
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from koers.bodylimit import DEFAULT_BODY_LIMIT, BodyLimit, BodyLimits
from koers.settings import KoersSettings

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class KoersError(Exception):
    """Base of every service's domain errors; mapped to HTTP once, by the handler below."""

    status: int = 400
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(KoersError):
    status = 404
    title = "Not found"


class Unauthorized(KoersError):
    status = 401
    title = "Not authenticated"


class Forbidden(KoersError):
    status = 403
    title = "Forbidden"


class Conflict(KoersError):
    status = 409
    title = "Conflict"


HtmlErrorRenderer = Callable[[Request, int, str, str], Response]


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


API_PREFIXES = ("/api/", "/v1/", "/internal/")
"""Paths that answer machines: errors there are always problem details."""


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def default_html_error(request: Request, status: int, title: str, detail: str) -> Response:
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{html.escape(title)}</title><main style='font-family:system-ui;"
        f"max-width:32rem;margin:3rem auto;padding:0 1rem'><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(detail)}</p><p><a href='/'>Home</a></p></main>"
    )
    return HTMLResponse(page, status_code=status)


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", "")}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI, html_renderer: HtmlErrorRenderer) -> None:
    def respond(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
        if wants_html(request):
            return html_renderer(request, status, title, detail)
        return problem(status, title, detail, **extra)

    @app.exception_handler(KoersError)
    async def _domain(request: Request, exc: KoersError) -> Response:
        return respond(request, exc.status, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) else title
        response = respond(request, exc.status_code, title, detail)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_detail(exc)
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return respond(request, 422, "Invalid request", summary or "invalid input", errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        return respond(request, 500, "Internal error", "Something went wrong on our side.")


SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"strict-origin-when-cross-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), interest-cohort=()",
    b"cross-origin-opener-policy": b"same-origin",
}
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DOCS_CSP = (  # Swagger UI at /docs loads its bundle from a CDN and runs inline scripts.
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline' https:; "
    "script-src 'self' 'unsafe-inline' https:; frame-ancestors 'none'"
)


class ChassisMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware cost): request id, security headers, metrics."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HttpMetrics,
        csp: str,
        html_renderer: HtmlErrorRenderer = default_html_error,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.csp = csp.encode()
        self.html_renderer = html_renderer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500}
        path: str = scope["path"]
        csp = DOCS_CSP.encode() if path in ("/docs", "/redoc") else self.csp

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in SECURITY_HEADERS
                ]
                headers.extend(SECURITY_HEADERS.items())
                if not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    headers.append((b"content-security-policy", csp))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            if _unstorable(path, scope.get("query_string", b"")):
                # A NUL or an unpaired surrogate reaches no route: PostgreSQL refuses to
                # store or even compare such text, which would surface as a 500 deep down.
                title, detail = (
                    "Bad request",
                    "The address contains characters that are not allowed.",
                )
                refusal = (
                    problem(400, title, detail)
                    if path.startswith(API_PREFIXES)
                    else self.html_renderer(Request(scope), 400, title, detail)
                )
                await refusal(scope, receive, send_with_headers)
                return
            await self.app(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.metrics.observe(scope["method"], template, status_holder["status"], started)


def _unstorable(path: str, query_string: bytes) -> bool:
    if "\x00" in path or b"%00" in query_string or b"\x00" in query_string:
        return True
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            decoded: str = value.decode("latin-1")[:100]
            return decoded
    return None


class HttpMetrics:
    """Prometheus metrics in a per-app registry (no import-time global state)."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "koers_http_requests_total",
            "HTTP requests by route template and status",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "koers_http_request_seconds",
            "HTTP request latency by route template",
            ["service", "method", "route"],
            registry=self.registry,
        )
        self.service = service

    def observe(self, method: str, route: str, status: int, started: float) -> None:
        self.requests.labels(self.service, method, route, str(status)).inc()
        self.latency.labels(self.service, method, route).observe(time.perf_counter() - started)

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


ReadinessCheck = Callable[[], None]


def install_web_chassis(
    app: FastAPI,
    *,
    service: str,
    checks: dict[str, ReadinessCheck],
    degraded_ok: frozenset[str] = frozenset(),
    html_renderer: HtmlErrorRenderer = default_html_error,
    csp: str = DEFAULT_CSP,
    settings: KoersSettings | None = None,
    body_limit: int = DEFAULT_BODY_LIMIT,
    body_limits: Mapping[str, int] | None = None,
) -> HttpMetrics:
    """Errors, headers, request ids, body limits, ``/metrics``, ``/healthz``, ``/readyz``.

    ``checks`` raise when a dependency is unreachable. A failing check named in
    ``degraded_ok`` reports "degraded" but keeps the service ready (e.g. the broker:
    writes go to the outbox, so candidates can still be served while it is down).

    Every request body is bounded to ``body_limit`` bytes, or to the limit of the
    longest matching prefix in ``body_limits`` (``*`` matches one path segment), before
    the app or its authentication reads it (see ``koers.bodylimit``).

    ``settings`` (default: ``app.state.settings``, which every ``create_app`` sets
    first) decide the environment: in production the API docs, the OpenAPI schema and
    ``/metrics`` answer only with the service token.
    """
    settings = settings or _app_settings(app)
    metrics = HttpMetrics(service)
    install_error_handlers(app, html_renderer)
    # Starlette runs the middleware added last first: body limits innermost of the
    # chassis (bounded before the app reads anything), request ids and headers outermost
    # (so a 413 or 401 has them too).
    app.add_middleware(BodyLimit, limits=BodyLimits(body_limit, body_limits))
    if settings is not None and settings.environment == "production":
        app.add_middleware(
            TokenOnlyPaths,
            paths=operator_paths(app),
            expected=settings.service_token,
        )
    app.add_middleware(ChassisMiddleware, metrics=metrics, csp=csp, html_renderer=html_renderer)

    @app.get("/healthz", tags=["ops"], include_in_schema=True)
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["ops"])
    def readyz() -> Response:
        """Readiness: the database and the broker are reachable."""
        results: dict[str, str] = {}
        ready = True
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - report, do not crash the probe
                results[name] = f"unreachable: {type(exc).__name__}"
                if name not in degraded_ok:
                    ready = False
        status = "ok" if all(v == "ok" for v in results.values()) else "degraded"
        body = {"status": status if ready else "unavailable", "service": service, "checks": results}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics_endpoint() -> Response:
        return metrics.render()

    return metrics


def broker_check(bootstrap_servers: str) -> ReadinessCheck:
    import socket

    host, _, port = bootstrap_servers.split(",")[0].rpartition(":")

    def check() -> None:
        with socket.create_connection((host, int(port)), timeout=1):
            pass

    return check


def service_token_checker(expected: str) -> Callable[[Request], None]:
    """A dependency: refuses a request without ``Authorization: Bearer <service token>``.

    Any malformed header (no scheme, other scheme, extra spaces, non-ASCII bytes, empty)
    is a 401 problem, never an error; the token is compared in constant time, as bytes.
    """

    def check(request: Request) -> None:
        if not bearer_token_matches(_raw_header(request.scope, b"authorization"), expected):
            raise Unauthorized("a valid service token is required")

    return check


def bearer_token_matches(header: bytes | None, expected: str) -> bool:
    """Whether a raw ``Authorization`` header is exactly ``Bearer <expected>``."""
    if not expected or header is None:
        return False
    scheme, _, token = header.partition(b" ")
    if scheme.lower() != b"bearer":
        return False
    return hmac.compare_digest(token, expected.encode())


def _raw_header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            raw: bytes = value
            return raw
    return None


def operator_paths(app: FastAPI) -> frozenset[str]:
    """The paths for operators, not the public: API docs, OpenAPI schema, metrics."""
    paths = {"/metrics", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"}
    for path in (app.docs_url, app.redoc_url, app.openapi_url, app.swagger_ui_oauth2_redirect_url):
        if path:
            paths.add(path)
    return frozenset(paths)


class TokenOnlyPaths:
    """Pure ASGI: the given paths answer only a request with the service token (401
    problem otherwise); everything else passes untouched."""

    def __init__(self, app: ASGIApp, *, paths: frozenset[str], expected: str) -> None:
        self.app = app
        self.paths = paths
        self.expected = expected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = scope["type"] == "http" and scope["path"].rstrip("/") in self.paths
        if guarded and not bearer_token_matches(
            _raw_header(scope, b"authorization"), self.expected
        ):
            response = problem(401, "Not authenticated", "a valid service token is required")
            response.headers["www-authenticate"] = "Bearer"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _app_settings(app: FastAPI) -> KoersSettings | None:
    settings = getattr(app.state, "settings", None)
    return settings if isinstance(settings, KoersSettings) else None
