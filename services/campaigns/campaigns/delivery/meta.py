"""Meta (Facebook, Instagram) budgets through the Marketing API (Graph API), over httpx.

Calls, per creative (an ad set, or the campaign when it uses a campaign budget):

- ``GET /{version}/{id}?fields=daily_budget,lifetime_budget,status`` reads what is set;
- ``POST /{version}/{id}`` with form fields ``daily_budget`` (integer, in cents of the
  ad account's currency) and ``status`` (``ACTIVE`` / ``PAUSED``) changes it; Meta
  answers ``{"success": true}``.

Read before write is what makes a push safe to repeat: a change already in place is
reported ``already_set`` and not sent again, so a push retried after a partial failure
changes each budget exactly once (and an unchanged budget never restarts an ad set's
learning phase). The POST itself sets absolute values, so resending it after a lost
response does no harm either.

Errors (Graph API "Handling Errors"; Marketing API "Rate Limiting"), from the JSON body's
``error.code`` and the HTTP status:

- rate limits: codes 4, 17, 32, 613 and 80000-80014 (business use case), HTTP 429. Wait
  for ``estimated_time_to_regain_access`` (minutes) of the ``X-Business-Use-Case-Usage``
  header, else ``Retry-After``, else an exponential back-off from 60 s; never longer
  than ``max_wait_s``. Once retries run out the rest of the push is not attempted.
- transient: codes 1 and 2, HTTP 5xx, timeouts, dropped connections: exponential
  back-off from 1 s.
- token: codes 190 and 102 refuse the change and every later one without calling Meta.
- anything else (100 invalid parameter, 200-299 permissions...): refused, no retry.

The access token travels in the ``Authorization`` header (never in a URL, which would
end up in logs and exception messages) and is removed from every error text kept.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from campaigns.delivery.domain import (
    BudgetPlan,
    ChangeOutcome,
    OutcomeKind,
    PushChange,
    PushResult,
    plan_changes,
    sanitise_platform_message,
)
from campaigns.delivery.settings import DeliverySettings

log = logging.getLogger(__name__)

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613}) | frozenset(range(80000, 80015))
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({190, 102})
USAGE_PAUSE_PERCENT = 95
"""Business-use-case usage at which Koers pauses before its next call, so that it slows
down before Meta starts refusing."""
_META_ID = re.compile(r"^\d{1,32}$")


class MetaApiError(Exception):
    """A call Meta did not accept; ``detail`` is safe to store and show."""

    def __init__(self, detail: str, *, code: int | None = None, http_status: int | None = None):
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.http_status = http_status


class RetryableMetaError(MetaApiError):
    """Worth another attempt later: an outage, a timeout, a rate limit."""


class MetaRateLimited(RetryableMetaError):
    def __init__(self, detail: str, *, retry_after_s: float | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.retry_after_s = retry_after_s


class MetaTokenRejected(MetaApiError):
    """The tenant's access token is invalid or expired: nothing will work until renewed."""


class MetaMarketingApi:
    """``AdPlatformAdapter`` for Meta's Marketing API. Holds one tenant's token."""

    name = "meta"

    def __init__(
        self,
        client: httpx.Client,
        access_token: str,
        *,
        api_version: str = "v23.0",
        max_attempts: int = 5,
        max_wait_s: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``client`` carries the base URL and timeouts and is owned by the caller."""
        if not access_token:
            raise ValueError("no Meta access token for this tenant")
        self._client = client
        self._token = access_token
        self._version = api_version
        self._max_attempts = max_attempts
        self._max_wait_s = max_wait_s
        self._sleep = sleep

    @classmethod
    def from_settings(
        cls, settings: DeliverySettings, client: httpx.Client, access_token: str
    ) -> MetaMarketingApi:
        return cls(
            client,
            access_token,
            api_version=settings.meta_api_version,
            max_attempts=settings.meta_max_attempts,
            max_wait_s=settings.meta_max_wait_s,
        )

    def __repr__(self) -> str:  # the token stays out of reprs, tracebacks and logs
        return f"MetaMarketingApi(version={self._version!r})"

    def plan(self, plan: BudgetPlan) -> list[PushChange]:
        changes = plan_changes(plan, ["meta"])
        return [
            replace(c, blocked=f"{c.object_id!r} is not a Meta id (Meta ids are digits)")
            if c.sendable and not _META_ID.match(c.object_id or "")
            else c
            for c in changes
        ]

    def push(self, plan: BudgetPlan, *, idempotency_key: str) -> PushResult:
        outcomes: list[ChangeOutcome] = []
        stop: tuple[OutcomeKind, str] | None = None  # once set, later changes are not tried
        for change in self.plan(plan):
            if not change.sendable:
                outcomes.append(ChangeOutcome(change, "blocked", change.blocked or ""))
            elif stop is not None:
                outcomes.append(ChangeOutcome(change, stop[0], stop[1]))
            else:
                outcome, stop = self._deliver(change)
                outcomes.append(outcome)
        result = PushResult.of(self.name, idempotency_key, outcomes)
        log.info(
            "meta push %s (%s %s): %s",
            idempotency_key,
            plan.campaign_id,
            plan.week,
            result.status,
            extra={"outcomes": {o.change.variant_id: o.outcome for o in outcomes}},
        )
        return result

    def _deliver(self, change: PushChange) -> tuple[ChangeOutcome, tuple[OutcomeKind, str] | None]:
        """The change's outcome, and what to record for the rest of the push when it
        cannot go on (an invalid token, a rate limit that outlasted the retries)."""
        try:
            current = self._call("GET", change, {"fields": "daily_budget,lifetime_budget,status"})
            if _int(current.get("lifetime_budget")):
                reason = (
                    "uses a lifetime budget; Koers sets daily budgets, switch it in Ads Manager"
                )
                return ChangeOutcome(change, "refused", reason), None
            if _int(current.get("daily_budget")) == change.daily_budget_cents and (
                current.get("status") == change.status
            ):
                return ChangeOutcome(change, "already_set"), None
            self._call(
                "POST",
                change,
                {"daily_budget": str(change.daily_budget_cents), "status": change.status},
            )
            return ChangeOutcome(change, "changed"), None
        except MetaRateLimited as exc:
            stop: tuple[OutcomeKind, str] = (
                "failed",
                "not attempted: Meta is rate limiting this ad account",
            )
            return ChangeOutcome(change, "failed", exc.detail, exc.code), stop
        except RetryableMetaError as exc:
            return ChangeOutcome(change, "failed", exc.detail, exc.code), None
        except MetaTokenRejected as exc:
            stop = ("refused", "not attempted: Meta rejected the access token")
            return ChangeOutcome(change, "refused", exc.detail, exc.code), stop
        except MetaApiError as exc:
            return ChangeOutcome(change, "refused", exc.detail, exc.code), None

    def _call(self, method: str, change: PushChange, fields: Mapping[str, str]) -> dict[str, Any]:
        retrying = Retrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(RetryableMetaError),
            sleep=self._sleep,
            reraise=True,
        )
        body: dict[str, Any] = retrying(self._once, method, change, fields)
        return body

    def _once(self, method: str, change: PushChange, fields: Mapping[str, str]) -> dict[str, Any]:
        url = f"/{self._version}/{change.object_id}"
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            if method == "GET":
                response = self._client.get(url, params=dict(fields), headers=headers)
            else:
                response = self._client.post(url, data=dict(fields), headers=headers)
        except httpx.TimeoutException as exc:
            raise RetryableMetaError("Meta did not answer in time") from exc
        except httpx.TransportError as exc:
            detail = self._clean(f"could not reach Meta ({type(exc).__name__})")
            raise RetryableMetaError(detail) from exc
        body = _json(response)
        error = body.get("error") if isinstance(body.get("error"), dict) else None
        if response.is_success and error is None:
            self._slow_down_when_near_limit(response)
            return body
        raise self._error(response, error)

    def _error(self, response: httpx.Response, error: dict[str, Any] | None) -> MetaApiError:
        status = response.status_code
        code = _int(error.get("code")) if error else None
        if error:
            parts = [str(error.get("message") or "error")]
            if error.get("error_subcode"):
                parts.append(f"subcode {error['error_subcode']}")
            if error.get("fbtrace_id"):
                parts.append(f"fbtrace_id {error['fbtrace_id']}")
            detail = self._clean(f"Meta error {code}: " + ", ".join(parts))
        else:
            detail = self._clean(f"Meta answered HTTP {status}")
        kw: dict[str, Any] = {"code": code, "http_status": status}
        if code in TOKEN_CODES:
            return MetaTokenRejected(detail, **kw)
        if status == 429 or code in RATE_LIMIT_CODES:
            return MetaRateLimited(detail, retry_after_s=_retry_after(response), **kw)
        if status >= 500 or code in TRANSIENT_CODES:
            return RetryableMetaError(detail, **kw)
        return MetaApiError(detail, **kw)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        attempt = state.attempt_number
        if isinstance(exc, MetaRateLimited):
            wait = exc.retry_after_s if exc.retry_after_s else 60.0 * 2 ** (attempt - 1)
        else:
            wait = 1.0 * 2 ** (attempt - 1)
        return min(wait, self._max_wait_s)

    def _slow_down_when_near_limit(self, response: httpx.Response) -> None:
        usage = _business_usage(response)
        if usage and max(usage["percent"], 0) >= USAGE_PAUSE_PERCENT:
            pause = min(usage["regain_s"] or 60.0, self._max_wait_s)
            log.info("meta usage at %s%%: pausing %.0f s", usage["percent"], pause)
            self._sleep(pause)

    def _clean(self, text: str) -> str:
        return sanitise_platform_message(text, [self._token])


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None and value != "" else None
    except ValueError:
        return None


def _business_usage(response: httpx.Response) -> dict[str, float] | None:
    """Highest usage percentage and wait (s) in ``X-Business-Use-Case-Usage``, if sent.

    The header is JSON: ``{"<business id>": [{"type": "ads_management", "call_count": 28,
    "total_cputime": 25, "total_time": 25, "estimated_time_to_regain_access": 0}]}``,
    percentages of the quota, the wait in minutes.
    """
    raw = response.headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    percent, regain_min = 0.0, 0.0
    entries = data.values() if isinstance(data, dict) else []
    for entry_list in entries:
        for entry in entry_list if isinstance(entry_list, list) else []:
            if not isinstance(entry, dict):
                continue
            for key in ("call_count", "total_cputime", "total_time"):
                percent = max(percent, float(_int(entry.get(key)) or 0))
            regain_min = max(
                regain_min, float(_int(entry.get("estimated_time_to_regain_access")) or 0)
            )
    return {"percent": percent, "regain_s": regain_min * 60}


def _retry_after(response: httpx.Response) -> float | None:
    usage = _business_usage(response)
    if usage and usage["regain_s"] > 0:
        return usage["regain_s"]
    seconds = _int(response.headers.get("retry-after"))
    return float(seconds) if seconds and seconds > 0 else None


def make_meta_client(settings: DeliverySettings) -> httpx.Client:
    """The httpx client ``MetaMarketingApi`` takes (the caller closes it)."""
    return httpx.Client(base_url=settings.meta_api_base_url, timeout=settings.meta_timeout_s)
