"""Dependency wiring for the routes: everything comes from ``app.state`` (built once,
in ``create_app``), so tests get the real objects through the same path. The page a
route is about comes from ``pages/deps.py``.

The dependencies are ``async def`` although they do not await (except on a page-cache
miss): FastAPI runs a plain ``def`` dependency in the thread pool, so the landing page's
eight dependencies were eight hops there and back on every view.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from landing.config import Settings
from landing.errors import CandidatePageError, TooManyRequests
from landing.pages.domain import MediaPolicy
from landing.pages.stencils import StencilCache
from landing.privacy.service import Privacy
from landing.submissions.cvstore import CvStore
from landing.submissions.ratelimit import FormRateLimit, RedisRateLimiter, SharedRateLimiter
from landing.submissions.service import Journeys, Visitor
from landing.submissions.tokens import TokenSigner
from landing.web.dbcalls import DatabaseCalls
from landing.web.i18n import LanguagePreferences
from landing.web.rendering import Renderer

MAX_FORM_FIELDS = 40
MAX_TEXT_FIELD_BYTES = 32 * 1024


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_privacy(request: Request) -> Privacy:
    privacy: Privacy = request.app.state.privacy
    return privacy


async def get_cv_store(request: Request) -> CvStore:
    cv_store: CvStore = request.app.state.cv_store
    return cv_store


@dataclass(frozen=True)
class Site:
    """What the candidate pages work with, built once by ``create_app``: one dependency
    instead of five, because FastAPI resolves every dependency of every request anew
    (some 60 µs each on the benchmark machine; a page view costs about 1.2 ms)."""

    journeys: Journeys
    signer: TokenSigner
    renderer: Renderer
    settings: Settings
    privacy: Privacy
    database: DatabaseCalls
    stencils: StencilCache
    languages: LanguagePreferences
    media: MediaPolicy = field(default_factory=MediaPolicy)
    """Which media URLs pages may load (built once from the settings)."""


async def get_site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


EngineDep = Annotated[Engine, Depends(get_engine)]
PrivacyDep = Annotated[Privacy, Depends(get_privacy)]
CvStoreDep = Annotated[CvStore, Depends(get_cv_store)]
SiteDep = Annotated[Site, Depends(get_site)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def visitor_of(request: Request) -> Visitor:
    return Visitor(
        client_ip=client_ip(request), user_agent=request.headers.get("user-agent", "")[:512]
    )


async def get_visitor(request: Request) -> Visitor:
    return visitor_of(request)


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


async def check_rate_limit(request: Request) -> None:
    """Per client IP, on every form submission; 429 with Retry-After beyond it."""
    limiter: FormRateLimit = request.app.state.rate_limiter
    if isinstance(limiter, SharedRateLimiter):
        site: Site = request.app.state.site
        wait = await site.database.run(limiter.allow, client_ip(request))
    elif isinstance(limiter, RedisRateLimiter):  # a network round trip: off the event loop
        wait = await run_in_threadpool(limiter.allow, client_ip(request))
    else:
        wait = limiter.allow(client_ip(request))
    if wait:
        raise TooManyRequests(headers={"retry-after": str(wait)})


rate_limit = Depends(check_rate_limit)


async def read_form(request: Request) -> AsyncIterator[FormData]:
    """The submitted form, bounded: one file, a few fields, small text fields (the body
    as a whole is bounded while it streams in, see ``bodylimit.py``). An uploaded file's
    temporary copy is closed (and so removed) when the response is done."""
    # Async so sync routes can still read fields whose names depend on the page (quiz).
    try:
        form = await request.form(
            max_files=1, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_TEXT_FIELD_BYTES
        )
    except HTTPException as exc:  # the multipart parser's "malformed" -> a friendly page
        raise CandidatePageError("invalid_request") from exc
    try:
        yield form
    finally:
        await form.close()


FormDep = Annotated[FormData, Depends(read_form)]
