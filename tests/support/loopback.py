"""HTTP calls from tests to the processes they start, without httpx's per-client cost.

``httpx.get(...)`` builds a client, and every client loads the CA bundle into a new SSL
context: 22 ms of CPU per call here, for plain-HTTP calls to 127.0.0.1. Polled every
0.1 s while a process starts, or made 2,000 times by the kill tests, that was minutes
of the suite's CPU (the landing kill test alone spent 124 s in it). One context, loaded
once, makes a call cost under a millisecond.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

_SSL = ssl.create_default_context()


def get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, verify=_SSL, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(url, verify=_SSL, **kwargs)


def client(**kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` (a candidate's own cookies, a console session)."""
    return httpx.Client(verify=_SSL, **kwargs)
