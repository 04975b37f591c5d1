"""The page preview: landing renders the draft with its own templates; the console
shows that HTML in a frame.

Candidate pages are rendered in one place (the landing service), so the preview is the
live page pixel for pixel: the console sends the draft to landing's internal API (with
the service token) and gets the page back; nothing is stored. In the frame the HTML
gets one ``<base>`` element, so its root-relative stylesheet and media links load from
the landing site as on the live page.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from markupsafe import escape

log = logging.getLogger(__name__)

MAX_PREVIEW_BYTES = 2_000_000


class PreviewUnavailable(Exception):
    """Landing could not render the preview (unreachable, refused, not HTML)."""


class PagePreviews(Protocol):
    def render(
        self,
        *,
        tenant_id: str,
        campaign_id: str,
        slug: str,
        page: dict[str, Any],
        language: str | None,
    ) -> str: ...

    def close(self) -> None: ...


class HttpPagePreviews:
    """Landing's ``POST /internal/v1/tenants/{t}/campaigns/{c}/page-preview``."""

    def __init__(self, base_url: str, service_token: str, *, timeout_s: float = 3.0) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {service_token}"},
            timeout=timeout_s,
        )

    def render(
        self,
        *,
        tenant_id: str,
        campaign_id: str,
        slug: str,
        page: dict[str, Any],
        language: str | None,
    ) -> str:
        """The landing page ``page`` would be, as HTML (``page`` a valid PageSnapshot)."""
        path = (
            f"/internal/v1/tenants/{quote(tenant_id, safe='')}"
            f"/campaigns/{quote(campaign_id, safe='')}/page-preview"
        )
        body = {"slug": slug, "page": page, "language": language}
        try:
            response = self._http.post(path, json=body)
        except httpx.HTTPError as exc:
            log.warning("landing unreachable for a page preview: %s", type(exc).__name__)
            raise PreviewUnavailable(type(exc).__name__) from exc
        content_type = response.headers.get("content-type", "")
        if not response.is_success or not content_type.startswith("text/html"):
            log.warning("landing answered %s to a page preview", response.status_code)
            raise PreviewUnavailable(f"HTTP {response.status_code}")
        if len(response.content) > MAX_PREVIEW_BYTES:
            raise PreviewUnavailable("the preview is too large")
        return response.text

    def close(self) -> None:
        self._http.close()


def framed(html: str, landing_url: str) -> str:
    """Landing's HTML with a ``<base>`` at the start of its head, so the links it holds
    (root-relative, as on the live page) resolve on the landing site."""
    base = f'<base href="{escape(landing_url.rstrip("/"))}/">'
    head = html.find("<head>")
    if head < 0:
        raise PreviewUnavailable("the preview has no head")
    cut = head + len("<head>")
    return html[:cut] + "\n" + base + html[cut:]


def frame_policy(landing_url: str) -> str:
    """The frame's CSP: styles and images from landing (and the employer's https media),
    no scripts, no forms, and only the console may frame it."""
    origin = landing_url.rstrip("/")
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src {origin}",
            f"img-src {origin} https: data:",
            f"media-src {origin} https:",
            "script-src 'none'",
            f"base-uri {origin}",
            "form-action 'none'",
            "frame-ancestors 'self'",
        )
    )
