"""Which creative a row belongs to: by ad name or UTM key.

Each creative has an "ad name / UTM key" (``ad_key``) that the marketer also uses in the
ad platform, and its own ``variant_id`` (the ``v=`` of its landing link). A row matches
a creative when its ad name, or the ``utm_content`` / ``v`` parameter of the row's link
(when the export has a link column), equals one of those keys. Comparison ignores case,
accents written in another Unicode form, and surrounding or repeated whitespace:
"Video  Hook A " matches "video hook a". A row matching no creative, or more than one,
is a row error: spend that cannot be attributed must not be imported silently.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

_LINK_PARAMETERS = ("utm_content", "v")


@dataclass(frozen=True)
class Creative:
    variant_id: str
    name: str
    ad_key: str | None = None


@dataclass(frozen=True)
class Match:
    creative: Creative | None
    error: str = ""


def normalise_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def keys_in_link(link: str) -> list[str]:
    """The ``utm_content`` and ``v`` values of a URL or of a bare query string."""
    link = link.strip()
    if not link:
        return []
    query = urlsplit(link).query if "?" in link or "://" in link else link
    values = parse_qs(query, keep_blank_values=False)
    return [value for name in _LINK_PARAMETERS for value in values.get(name, [])]


class CreativeIndex:
    """Looks rows up among one campaign's creatives."""

    def __init__(self, creatives: Iterable[Creative]) -> None:
        self._by_key: dict[str, dict[str, Creative]] = {}
        for creative in creatives:
            for key in (creative.ad_key, creative.variant_id):
                if key and normalise_key(key):
                    self._by_key.setdefault(normalise_key(key), {})[creative.variant_id] = creative

    def match(self, ad_name: str, link: str = "") -> Match:
        candidates = [ad_name, *keys_in_link(link)]
        for candidate in candidates:
            found = self._by_key.get(normalise_key(candidate), {})
            if len(found) == 1:
                return Match(next(iter(found.values())))
            if len(found) > 1:
                names = ", ".join(sorted(c.name for c in found.values()))
                return Match(None, f'"{candidate}" fits several creatives ({names})')
        return Match(
            None,
            f'No creative has the ad name or UTM key "{ad_name}". Set it as the creative\'s '
            "ad name / UTM key, or correct the ad's name in the ad platform.",
        )
