"""Pages rendered once and filled in many times.

Most of a landing page is the same for every visitor of a campaign in one language:
texts, branding, entry points, the language switch. Only a few links differ (they carry
the visit token and utm tags). Rendering the template for each view costs more than
everything else a page view does, so the page is rendered once with *slots*: markers
that stand in for those links. The result is split at the markers into a
:class:`Stencil`, and each view joins the pieces with its own (HTML-escaped) values. The
output is exactly what rendering the template with those values would give, because
autoescaping is per character: escape(a + b) == escape(a) + escape(b).

Markers carry a random per-process nonce, so no campaign text can imitate one.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Hashable, Mapping

from markupsafe import escape

Slot = Callable[[str], str]
"""Gives the marker that stands for the slot of that name (a word: [A-Za-z0-9_])."""


class Stencil:
    """Rendered HTML split at its slots: fixed text at even positions, slot names at
    odd ones."""

    def __init__(self, parts: list[str]) -> None:
        self._parts = parts
        self.slots = frozenset(parts[1::2])

    def fill(self, values: Mapping[str, str]) -> str:
        """The page with each slot replaced by its value, escaped as the template would
        have escaped it. A slot without a value is a programming error (KeyError)."""
        parts = self._parts
        pieces = parts.copy()
        for index in range(1, len(parts), 2):
            pieces[index] = escape(values[parts[index]])
        return "".join(pieces)


class StencilCache:
    """Stencils by key (e.g. template, campaign, language), each valid for one
    ``source``: the object it was rendered from. A new but equal source (the page cache
    re-reads a page every few seconds) keeps the stencil; a changed one renders anew."""

    def __init__(self, max_entries: int = 2_000) -> None:
        nonce = secrets.token_hex(8)
        self._marker = f"\ue000{nonce}:{{}}\ue001"
        self._pattern = re.compile(f"\ue000{nonce}:(\\w+)\ue001")
        self._max_entries = max_entries
        self._stencils: dict[Hashable, tuple[object, Stencil]] = {}
        self._lock = threading.Lock()

    def slot(self, name: str) -> str:
        return self._marker.format(name)

    def render(self, render: Callable[[Slot], str]) -> Stencil:
        """A stencil made with ``render`` now and not kept (a draft page's preview)."""
        return Stencil(self._pattern.split(render(self.slot)))

    def get(self, key: Hashable, source: object, render: Callable[[Slot], str]) -> Stencil:
        """The stencil for ``key`` rendered from ``source``, made with ``render`` (which
        puts ``slot(name)`` where each per-request value goes) when missing or stale."""
        cached = self._stencils.get(key)
        if cached is not None:
            if cached[0] is source:
                return cached[1]
            if cached[0] == source:
                self._stencils[key] = (source, cached[1])
                return cached[1]
        stencil = Stencil(self._pattern.split(render(self.slot)))
        with self._lock:
            if len(self._stencils) >= self._max_entries:
                self._stencils.clear()
            self._stencils[key] = (source, stencil)
        return stencil
