"""A stencil (a page rendered once with slots) filled in per request gives exactly what
rendering the template with those values would give, and is rendered again only when
what it was rendered from changes."""

from __future__ import annotations

from collections.abc import Callable

import jinja2
import pytest

from landing.pages.stencils import Slot, StencilCache

pytestmark = pytest.mark.unit

TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    '<h1>{{ title }}</h1><a href="/j/x/lead?{{ query }}">{{ label }}</a>'
    '<a href="{{ switch }}" lang="en">English</a>'
)
AWKWARD = "v=1&utm_source=a\"b<c>d'e&name=Zoë & co"


def render(query: str, switch: str, title: str = "Werk bij ons") -> str:
    return TEMPLATE.render(title=title, query=query, label="Solliciteer", switch=switch)


def test_a_filled_stencil_is_exactly_the_template_rendered_with_those_values() -> None:
    cache = StencilCache()
    stencil = cache.get("page", "v1", lambda slot: render(slot("query"), slot("switch")))

    for query, switch in ((AWKWARD, "/j/x?lang=en"), ("visit=abc.def", AWKWARD), ("", "")):
        assert stencil.fill({"query": query, "switch": switch}) == render(query, switch)
    assert stencil.slots == {"query", "switch"}


def test_text_that_looks_like_a_slot_marker_stays_text() -> None:
    cache = StencilCache()
    other = StencilCache()  # another process: another nonce
    forged = other.slot("query")

    stencil = cache.get("page", "v1", lambda slot: render(slot("query"), "/", title=forged))

    assert stencil.slots == {"query"}
    assert forged in stencil.fill({"query": "a=1"})


def test_a_missing_value_is_an_error_not_an_empty_link() -> None:
    stencil = StencilCache().get("page", "v1", lambda slot: render(slot("query"), "/"))

    with pytest.raises(KeyError):
        stencil.fill({})


def test_rendered_again_only_when_its_source_changes() -> None:
    cache = StencilCache()
    renders: list[str] = []

    def make(title: str) -> Callable[[Slot], str]:
        def render_with(slot: Slot) -> str:
            renders.append(title)
            return render(slot("query"), "/", title=title)

        return render_with

    first = {"headline": "A"}
    cache.get("page", first, make("A"))
    cache.get("page", first, make("A"))
    cache.get("page", {"headline": "A"}, make("A"))  # read again: equal, not the same
    changed = cache.get("page", {"headline": "B"}, make("B"))
    other_key = cache.get("other", {"headline": "B"}, make("B"))

    assert renders == ["A", "B", "B"]
    assert "<h1>B</h1>" in changed.fill({"query": ""})
    assert "<h1>B</h1>" in other_key.fill({"query": ""})
