"""The page a candidate route is about, from the page cache (built once, in
``create_app``); unknown pages are not found. ``async def`` like the rest of
``web/deps.py``: a hit costs no hop to the thread pool."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from landing.errors import PageNotFound
from landing.pages import repository
from landing.pages.cache import PageCache
from landing.pages.repository import PublishedPage
from landing.web.deps import Site


async def published_page(request: Request, slug: str) -> PublishedPage:
    """The page a candidate asks for; unknown and paused pages are not found."""
    cache: PageCache = request.app.state.page_cache
    page = await _cached_page(request, cache, slug, repository.find_published_page)
    if page is None:
        raise PageNotFound()
    return page


async def submittable_page(request: Request, slug: str) -> PublishedPage:
    """For form submissions and the thank-you page: a campaign paused while the
    candidate was typing still receives what they sent. Remembered for as long as
    published pages are, so a submission reads no page from the database either."""
    cache: PageCache = request.app.state.submittable_page_cache
    page = await _cached_page(request, cache, slug, repository.find_page_by_slug)
    if page is None:
        raise PageNotFound()
    return page


PageQuery = Callable[[Connection, str], PublishedPage | None]

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}\Z")
"""What a published slug looks like (``CampaignPublished.slug``)."""


async def _cached_page(
    request: Request, cache: PageCache, slug: str, query: PageQuery
) -> PublishedPage | None:
    """From memory; a miss reads the database (see ``web/dbcalls.py`` for where)."""
    remembered = cache.lookup(slug)
    if remembered is not None:
        return remembered[0]
    if not _SLUG.match(slug):  # no page has it; PostgreSQL would refuse a NUL in it
        return None
    site: Site = request.app.state.site
    engine: Engine = request.app.state.engine
    return await site.database.run(cache.get, slug, partial(_read_page, engine, query))


def _read_page(engine: Engine, query: PageQuery, slug: str) -> PublishedPage | None:
    with engine.connect() as conn:
        return query(conn, slug)


PageDep = Annotated[PublishedPage, Depends(published_page)]
SubmittablePageDep = Annotated[PublishedPage, Depends(submittable_page)]
