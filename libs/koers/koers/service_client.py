"""One service calling another's JSON API: bearer token, short timeout, typed answers.

Each client says what its failures are called (``unavailable``, ``refused``) so callers
keep catching their own service's errors; the HTTP handling is the same for all:

- not reachable, a timeout, 5xx, or an answer that does not parse: ``unavailable``;
- 4xx: ``refused`` with the problem's ``detail`` (or the status);
- an ``absent`` status (404 by default): None, "there is no such thing".

Log lines name the exception type and the field locations only, never values: answers
may hold a candidate's personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

_Model = TypeVar("_Model", bound=BaseModel)


class ServiceClient:
    service: ClassVar[str]
    """The other service's name, as log lines say it."""
    unavailable: ClassVar[type[Exception]]
    """Raised with a short reason: ``unavailable("HTTP 502")``."""
    refused: ClassVar[type[Exception]]
    """Raised with the status and the problem's detail: ``refused(409, "...")``."""
    absent: ClassVar[frozenset[int]] = frozenset({404})

    def __init__(self, base_url: str, service_token: str, *, timeout_s: float) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {service_token}"},
            timeout=timeout_s,
        )

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | Sequence[str]] | None = None,
        body: dict[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> httpx.Response | None:
        """``timeout_s`` replaces the client's timeout for this request only."""
        timeout = self._http.timeout if timeout_s is None else httpx.Timeout(timeout_s)
        try:
            response = self._http.request(method, path, params=params, json=body, timeout=timeout)
        except httpx.HTTPError as exc:
            log.warning("%s unreachable: %s", self.service, type(exc).__name__)
            raise self.unavailable(type(exc).__name__) from exc
        if response.status_code in self.absent:
            return None
        if 400 <= response.status_code < 500:
            raise self.refused(response.status_code, problem_detail(response))
        if not response.is_success:
            log.warning("%s answered %s to %s %s", self.service, response.status_code, method, path)
            raise self.unavailable(f"HTTP {response.status_code}")
        return response

    def _parse(self, response: httpx.Response, model: type[_Model]) -> _Model:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            where = [e["loc"] for e in exc.errors()[:3]]
            log.warning("%s answer not understood at %s", self.service, where)
            raise self.unavailable("unexpected response") from exc

    def close(self) -> None:
        self._http.close()


def problem_detail(response: httpx.Response) -> str:
    """A problem-details answer's ``detail``, or the status when there is none."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    return f"HTTP {response.status_code}"
