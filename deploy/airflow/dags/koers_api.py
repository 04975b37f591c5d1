"""How the Koers DAGs call the services: one small HTTP client, shared by the DAG files.

The DAGs stay thin (DESIGN.md): every piece of work happens behind a service's API, so
this module only knows where the services are (Airflow Variables ``KOERS_*_URL``), how to
authenticate (``Authorization: Bearer`` with ``KOERS_SERVICE_TOKEN``) and how to turn an
answer into what a task should do next:

- 2xx: the JSON body;
- a 4xx that another try cannot change (bad token, unknown campaign, invalid request):
  ``ServiceRefused``, which a task turns into a skip or an ``AirflowFailException`` (no
  retries: another try would get the same answer);
- 408, 429, 5xx and transport errors: ``ServiceUnavailable``, an ordinary error that the
  task's retries handle.

``alert_on_failure`` is the DAGs' ``on_failure_callback``: one clear log line per failed
run and, when the Variable ``KOERS_ALERT_WEBHOOK_URL`` is set, a short JSON POST to it.

It imports only Airflow and httpx (both in the stock Airflow image), never koers or a
service package. Read the Variables inside tasks only: nothing here runs at parse time.
``.airflowignore`` keeps the DAG processor from parsing this file as a DAG.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from airflow.sdk import Variable
from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
ALERT_WEBHOOK = "KOERS_ALERT_WEBHOOK_URL"
RETRYABLE_STATUSES = frozenset({408, 425, 429})


class ServiceUnavailable(RuntimeError):
    """The service did not answer usefully this time; retrying may help."""


class ServiceRefused(RuntimeError):
    """The service answered with a problem that retrying cannot change."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


def service_url(variable: str) -> str:
    """A service's base URL from its Airflow Variable, without a trailing slash."""
    url = str(Variable.get(variable)).strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise AirflowFailException(f"Airflow Variable {variable} is not an http(s) URL: {url!r}")
    return url


def client(variable: str) -> httpx.Client:
    """An HTTP client for the service whose base URL is in ``variable``."""
    token = str(Variable.get("KOERS_SERVICE_TOKEN"))
    return httpx.Client(
        base_url=service_url(variable),
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        timeout=TIMEOUT,
    )


def problem_detail(response: httpx.Response) -> str:
    """The ``detail`` of a problem-details body, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:300]
    return str(body)[:300]


def call(http: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """Send one request; raise ``ServiceUnavailable`` or ``ServiceRefused`` on failure."""
    try:
        response = http.request(method, path, **kwargs)
    except httpx.TransportError as exc:
        raise ServiceUnavailable(f"{method} {http.base_url}{path}: {exc!r}") from exc
    if response.is_success:
        return response
    detail = problem_detail(response)
    if response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES:
        raise ServiceUnavailable(
            f"{method} {http.base_url}{path}: HTTP {response.status_code}: {detail}"
        )
    raise ServiceRefused(response.status_code, detail)


def json_object(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    if not isinstance(body, dict):
        raise ServiceUnavailable(f"expected a JSON object from {response.url}, got {body!r:.200}")
    return body


CAMPAIGNS = "KOERS_CAMPAIGNS_URL"


def push_due_splits() -> dict[str, Any]:
    """Ask campaigns to push every decided split whose push time has passed (the weekly
    DAG after autopilot, and ``koers_push_due`` every hour): ``POST /internal/v1/push-due``.

    Idempotent in campaigns: an adapter that took a split is not sent it again, so a retry
    or the next hour changes nothing twice. Returns the counts campaigns answers with."""
    with client(CAMPAIGNS) as http:
        try:
            response = call(http, "POST", "/internal/v1/push-due")
        except ServiceRefused as refused:
            raise AirflowFailException(f"campaigns refused the push: {refused}") from refused
    counts = json_object(response)
    log.info(
        "koers: pushed %s split(s) to ad platforms (%s)",
        counts.get("pushes"),
        counts.get("by_status") or "nothing was due",
    )
    return counts


def alert_on_failure(context: Any) -> None:
    """A DAG's ``on_failure_callback``: log one clear line; POST it to the alert webhook.

    Never raises: an alert that cannot be sent is logged, and the run stays failed."""
    dag_run = context.get("dag_run")
    dag_id = getattr(dag_run, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    run_id = getattr(dag_run, "run_id", None) or context.get("run_id", "?")
    reason = str(context.get("reason") or "a task failed")
    text = f"koers: ALERT: DAG {dag_id} run {run_id} failed: {reason}"
    log.error(text)
    try:
        url = Variable.get(ALERT_WEBHOOK, default=None)
    except Exception:  # an unreadable Variable must not hide the alert line above
        log.exception("koers: the alert webhook Variable could not be read")
        return
    if not url:
        return
    payload = {"source": "koers-airflow", "dag_id": dag_id, "run_id": run_id, "text": text}
    try:
        httpx.post(str(url), json=payload, timeout=TIMEOUT).raise_for_status()
    except httpx.HTTPError as exc:
        log.error("koers: alert webhook %s failed: %r", url, exc)
    else:
        log.info("koers: alert sent to the webhook for DAG %s run %s", dag_id, run_id)
