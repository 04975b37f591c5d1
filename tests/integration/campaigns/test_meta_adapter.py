"""The Meta adapter against a local Marketing API: real HTTP, Meta's request and error shapes.

``FakeGraphApi`` is a small ``http.server`` on a free port that keeps ad sets and
campaigns, answers ``GET /{version}/{id}?fields=...`` and ``POST /{version}/{id}`` (form
fields ``daily_budget``, ``status``) the way the Graph API does, returns the Graph API's
error body (``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``)
for scripted failures, and counts every call.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from campaigns.delivery import (
    BudgetPlan,
    CreativeBudget,
    MetaMarketingApi,
    PlatformIds,
    dry_run,
)

pytestmark = pytest.mark.integration

VERSION = "v23.0"
TOKEN = "EAAB-tenant-a-secret-token-4321"


@dataclass
class Scripted:
    """A canned answer for the next matching call."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def graph_error(code: int, message: str, status: int = 400, subcode: int | None = None) -> Scripted:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGh123",
    }
    if subcode:
        error["error_subcode"] = subcode
    return Scripted(status, {"error": error})


class FakeGraphApi:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, str]] = {}
        self.calls: Counter[tuple[str, str]] = Counter()
        self.script: dict[tuple[str, str], list[Scripted]] = {}
        self.usage_header: str | None = None
        self.seen_tokens: set[str] = set()
        self.urls: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(
        self, object_id: str, daily_budget: int, status: str = "ACTIVE", lifetime: int = 0
    ) -> None:
        self.objects[object_id] = {
            "id": object_id,
            "daily_budget": str(daily_budget),
            "lifetime_budget": str(lifetime),
            "status": status,
        }

    def fail_next(self, method: str, object_id: str, *answers: Scripted) -> None:
        self.script.setdefault((method, object_id), []).extend(answers)

    def posts(self, object_id: str) -> int:
        return self.calls[("POST", object_id)]

    def total_calls(self) -> int:
        return sum(self.calls.values())

    def _answer(self, method: str, path: str, query: str, body: str, auth: str) -> Scripted:
        parts = path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != VERSION:
            return graph_error(2500, "Unknown path components", 400)
        object_id = parts[1]
        with self._lock:
            self.calls[(method, object_id)] += 1
            self.seen_tokens.add(auth)
            queued = self.script.get((method, object_id))
            if queued:
                return queued.pop(0)
            if auth != f"Bearer {TOKEN}":
                return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
            obj = self.objects.get(object_id)
            if obj is None:
                return graph_error(
                    100,
                    f"Unsupported get request. Object with ID '{object_id}' does not exist",
                    400,
                    33,
                )
            if method == "GET":
                fields = parse_qs(query).get("fields", ["id"])[0].split(",")
                return Scripted(200, {k: obj[k] for k in ["id", *fields] if k in obj})
            form = {k: v[0] for k, v in parse_qs(body).items()}
            if not form.get("daily_budget", "0").isdigit():
                return graph_error(100, "Invalid parameter", 400, 1487058)
            obj.update({k: form[k] for k in ("daily_budget", "status") if k in form})
            return Scripted(200, {"success": True})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                split = urlsplit(self.path)
                api.urls.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                answer = api._answer(
                    method, split.path, split.query, body, self.headers.get("Authorization", "")
                )
                if answer.delay_s:
                    time.sleep(answer.delay_s)
                payload = json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    headers = dict(answer.headers)
                    if api.usage_header and "x-business-use-case-usage" not in headers:
                        headers["x-business-use-case-usage"] = api.usage_header
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    api = FakeGraphApi()
    api.start()
    yield api
    api.stop()


@pytest.fixture
def client(graph: FakeGraphApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=graph.base_url, timeout=2.0) as http:
        yield http


class Sleeps(list[float]):
    """Records back-offs instead of waiting them out."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def adapter(
    client: httpx.Client, sleeps: Sleeps, token: str = TOKEN, attempts: int = 4
) -> MetaMarketingApi:
    return MetaMarketingApi(
        client, token, api_version=VERSION, max_attempts=attempts, max_wait_s=120.0, sleep=sleeps
    )


def plan(*lines: tuple[str, str, int, bool]) -> BudgetPlan:
    """(variant, ad set id, weekly cents, paused) per creative."""
    return BudgetPlan(
        tenant_id="tenant-a",
        campaign_id="camp-1",
        campaign_name="Werken bij Zorg",
        week="2026-W48",
        creatives=tuple(
            CreativeBudget(
                variant_id=variant,
                name=variant,
                channel="instagram",
                ids=PlatformIds(ad_set_id=ad_set),
                new_weekly_cents=weekly,
                paused=paused,
            )
            for variant, ad_set, weekly, paused in lines
        ),
    )


WEEK_PLAN = plan(
    ("a", "1001", 70_000, False), ("b", "1002", 35_000, True), ("c", "1003", 14_000, False)
)


@pytest.fixture
def three_ad_sets(graph: FakeGraphApi) -> FakeGraphApi:
    graph.add("1001", 5_000)
    graph.add("1002", 5_000)
    graph.add("1003", 2_000)  # already what the plan wants
    return graph


def outcomes(result: Any) -> dict[str, str]:
    return {o.change.variant_id: o.outcome for o in result.outcomes}


def test_a_push_sets_each_daily_budget_and_status_and_skips_what_is_already_set(
    three_ad_sets: FakeGraphApi, client: httpx.Client, sleeps: Sleeps
) -> None:
    result = adapter(client, sleeps).push(WEEK_PLAN, idempotency_key="camp-1:2026-W48:meta")

    assert result.status == "sent"
    assert outcomes(result) == {"a": "changed", "b": "changed", "c": "already_set"}
    assert three_ad_sets.objects["1001"]["daily_budget"] == "10000"
    assert three_ad_sets.objects["1002"] == {**three_ad_sets.objects["1002"], "status": "PAUSED"}
    assert [three_ad_sets.posts(i) for i in ("1001", "1002", "1003")] == [1, 1, 0]
    assert three_ad_sets.seen_tokens == {f"Bearer {TOKEN}"}
    assert not any(TOKEN in url for url in three_ad_sets.urls)  # never in a URL
    assert sleeps == []


def test_the_dry_run_sends_nothing(
    three_ad_sets: FakeGraphApi, client: httpx.Client, sleeps: Sleeps
) -> None:
    meta = adapter(client, sleeps)

    result = dry_run(meta, WEEK_PLAN, idempotency_key="k")
    changes = meta.plan(WEEK_PLAN)

    assert result.status == "dry_run"
    assert [(c.object_id, c.daily_budget_cents, c.status) for c in changes] == [
        ("1001", 10_000, "ACTIVE"),
        ("1002", 5_000, "PAUSED"),
        ("1003", 2_000, "ACTIVE"),
    ]
    assert three_ad_sets.total_calls() == 0


def test_a_push_retried_after_a_partial_failure_changes_each_budget_exactly_once(
    three_ad_sets: FakeGraphApi, client: httpx.Client, sleeps: Sleeps
) -> None:
    outage = Scripted(503, {"error": {"message": "Service temporarily unavailable", "code": 2}})
    three_ad_sets.fail_next("POST", "1002", outage, outage)

    first = adapter(client, sleeps, attempts=2).push(WEEK_PLAN, idempotency_key="k")
    again = adapter(client, sleeps, attempts=2).push(WEEK_PLAN, idempotency_key="k")

    assert (first.status, outcomes(first)) == (
        "partial",
        {"a": "changed", "b": "failed", "c": "already_set"},
    )
    assert first.retryable
    assert (again.status, outcomes(again)) == (
        "sent",
        {"a": "already_set", "b": "changed", "c": "already_set"},
    )
    # 1002: two failed attempts, then one accepted change
    assert [three_ad_sets.posts(i) for i in ("1001", "1002", "1003")] == [1, 3, 0]
    assert three_ad_sets.objects["1002"]["status"] == "PAUSED"
    assert sleeps == [1.0]


def test_a_500_then_success_is_retried_with_backoff(
    three_ad_sets: FakeGraphApi, client: httpx.Client, sleeps: Sleeps
) -> None:
    three_ad_sets.fail_next("GET", "1001", Scripted(500, {}), Scripted(502, {"oops": 1}))

    result = adapter(client, sleeps).push(WEEK_PLAN, idempotency_key="k")

    assert result.status == "sent"
    assert three_ad_sets.calls[("GET", "1001")] == 3
    assert sleeps == [1.0, 2.0]


def test_rate_limit_code_17_waits_as_long_as_meta_says_then_goes_on(
    three_ad_sets: FakeGraphApi, client: httpx.Client, sleeps: Sleeps
) -> None:
    limited = graph_error(17, "User request limit reached", 400, 2446079)
    limited.headers["x-business-use-case-usage"] = json.dumps(
        {
            "1234567890": [
                {
                    "type": "ads_management",
                    "call_count": 100,
                    "total_cputime": 30,
                    "total_time": 40,
                    "estimated_time_to_regain_access": 1,
                }
            ]
        }
    )
    three_ad_sets.fail_next("POST", "1001", limited)

    result = adapter(client, sleeps).push(WEEK_PLAN, idempotency_key="k")

    assert result.status == "sent"
    assert three_ad_sets.posts("1001") == 2
    assert sleeps == [60.0]  # one minute, from estimated_time_to_regain_access


def test_http_429_without_a_hint_backs_off_from_a_minute(
    three_ad_sets: FakeGraphApi, client: httpx.Client, sleeps: Sleeps
) -> None:
    three_ad_sets.fail_next("GET", "1001", Scripted(429, {}), Scripted(429, {}))

    assert adapter(client, sleeps).push(WEEK_PLAN, idempotency_key="k").status == "sent"
    assert sleeps == [60.0, 120.0]


def test_a_rate_limit_that_outlasts_the_retries_stops_the_push_retryably(
    three_ad_sets: FakeGraphApi, client: httpx.Client, sleeps: Sleeps
) -> None:
    three_ad_sets.fail_next(
        "GET", "1001", *[graph_error(80004, "Too many calls to this ad account")] * 2
    )

    result = adapter(client, sleeps, attempts=2).push(WEEK_PLAN, idempotency_key="k")

    assert outcomes(result) == {"a": "failed", "b": "failed", "c": "failed"}
    assert result.status == "refused" and result.retryable
    assert "rate limiting" in result.outcomes[1].detail
    assert three_ad_sets.total_calls() == 2  # 1002 and 1003 were not tried


def test_an_invalid_token_is_refused_without_retry_and_never_shown(
    three_ad_sets: FakeGraphApi,
    client: httpx.Client,
    sleeps: Sleeps,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = "EAAB-expired-token-9999"
    three_ad_sets.fail_next(
        "GET",
        "1001",
        graph_error(190, f"Error validating access token {wrong}: Session has expired", 400, 463),
    )
    caplog.set_level(logging.DEBUG)

    result = adapter(client, sleeps, token=wrong).push(WEEK_PLAN, idempotency_key="k")

    assert outcomes(result) == {"a": "refused", "b": "refused", "c": "refused"}
    assert result.outcomes[0].error_code == 190
    assert "Session has expired" in result.outcomes[0].detail
    assert "fbtrace_id AbCdEfGh123" in result.outcomes[0].detail
    assert not result.retryable
    assert three_ad_sets.total_calls() == 1  # no retry, nothing after it
    assert sleeps == []
    everything = repr(result) + caplog.text + repr(adapter(client, sleeps, token=wrong))
    assert wrong not in everything
    assert TOKEN not in everything


def test_an_invalid_parameter_is_refused_at_once_and_the_others_go_ahead(
    three_ad_sets: FakeGraphApi, client: httpx.Client, sleeps: Sleeps
) -> None:
    three_ad_sets.fail_next(
        "POST", "1001", graph_error(100, "Invalid parameter: budget too low", 400, 1885272)
    )

    result = adapter(client, sleeps).push(WEEK_PLAN, idempotency_key="k")

    assert (result.status, outcomes(result)) == (
        "partial",
        {"a": "refused", "b": "changed", "c": "already_set"},
    )
    assert three_ad_sets.posts("1001") == 1
    assert "budget too low" in result.outcomes[0].detail


def test_a_timeout_is_retried(
    three_ad_sets: FakeGraphApi, graph: FakeGraphApi, sleeps: Sleeps
) -> None:
    three_ad_sets.fail_next("GET", "1001", Scripted(200, {}, delay_s=1.0))
    with httpx.Client(base_url=graph.base_url, timeout=0.3) as quick:
        result = adapter(quick, sleeps).push(WEEK_PLAN, idempotency_key="k")

    assert result.status == "sent"
    assert three_ad_sets.calls[("GET", "1001")] == 2


def test_lifetime_budgets_unknown_objects_and_non_meta_ids_are_not_changed(
    graph: FakeGraphApi, client: httpx.Client, sleeps: Sleeps
) -> None:
    graph.add("2001", 0, lifetime=500_000)
    odd = plan(
        ("life", "2001", 7_000, False),
        ("gone", "2999", 7_000, False),
        ("bad", "../me", 7_000, False),
    )

    result = adapter(client, sleeps).push(odd, idempotency_key="k")

    assert outcomes(result) == {"life": "refused", "gone": "refused", "bad": "blocked"}
    assert "lifetime budget" in result.outcomes[0].detail
    assert "does not exist" in result.outcomes[1].detail
    assert graph.posts("2001") == 0
    assert ("GET", "../me") not in graph.calls


def test_high_business_use_case_usage_slows_the_push_down(
    three_ad_sets: FakeGraphApi, client: httpx.Client, sleeps: Sleeps
) -> None:
    three_ad_sets.usage_header = json.dumps(
        {
            "1": [
                {
                    "type": "ads_management",
                    "call_count": 96,
                    "total_cputime": 10,
                    "total_time": 10,
                    "estimated_time_to_regain_access": 0,
                }
            ]
        }
    )

    assert adapter(client, sleeps).push(WEEK_PLAN, idempotency_key="k").status == "sent"
    assert sleeps and set(sleeps) == {60.0}
