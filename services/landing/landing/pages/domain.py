"""Pure rules of page snapshots and of what a page says: no I/O, no framework."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from koers.events import PageSnapshot, VariantState

# --- page snapshots ----------------------------------------------------------------


def is_newer_version(stored_version: int | None, incoming_version: int) -> bool:
    """Publishes may arrive again (redelivery) or late; only a newer page replaces."""
    return stored_version is None or incoming_version > stored_version


def takes_submissions(status: str, ends_on: date | None, today: date) -> bool:
    """Whether a campaign's forms may still be sent: published, and not past its last
    day (a form opened before a pause or the end cannot post after it)."""
    return status == "published" and (ends_on is None or today <= ends_on)


def with_variant(snapshot: Mapping[str, Any], variant: VariantState) -> dict[str, Any]:
    """The snapshot with ``variant`` replaced in place (or appended when it is new)."""
    changed = variant.model_dump(mode="json")
    variants = list(snapshot.get("variants", []))
    for index, existing in enumerate(variants):
        if existing.get("variant_id") == variant.variant_id:
            variants[index] = changed
            break
    else:
        variants.append(changed)
    return {**snapshot, "variants": variants}


# --- what a page says, in a language ----------------------------------------------


@dataclass(frozen=True)
class QuizQuestionText:
    question: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class PageContent:
    """The marketer's texts of a page in one language (``language`` says which: the
    requested one when translated, else the page's own)."""

    language: str
    headline: str
    intro_paragraphs: tuple[str, ...]
    hero_alt: str
    quiz: tuple[QuizQuestionText, ...]


def page_content(snapshot: PageSnapshot, language: str) -> PageContent:
    original_quiz = tuple(
        QuizQuestionText(q.question, tuple(o.label for o in q.options)) for q in snapshot.quiz
    )
    texts = snapshot.translations.get(language) if language != snapshot.language else None  # type: ignore[call-overload]
    if texts is None:
        return PageContent(
            language=snapshot.language,
            headline=snapshot.headline,
            intro_paragraphs=_paragraphs(snapshot.intro),
            hero_alt=snapshot.hero_alt,
            quiz=original_quiz,
        )
    quiz = original_quiz
    translated = tuple(QuizQuestionText(q.question, q.options) for q in texts.quiz)
    if [len(q.options) for q in translated] == [len(q.options) for q in original_quiz]:
        quiz = translated
    return PageContent(
        language=language,
        headline=texts.headline,
        intro_paragraphs=_paragraphs(texts.intro or snapshot.intro),
        hero_alt=texts.hero_alt or snapshot.hero_alt,
        quiz=quiz,
    )


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("\n\n") if part.strip())


@dataclass(frozen=True)
class HeroImage:
    """How the page asks for its hero image: ``src`` and, when the employer's image
    host resizes on request, a ``srcset`` of widths for the browser to choose from."""

    src: str
    srcset: str = ""


HERO_WIDTHS = (480, 800, 1200)
"""The widths a resizing image host is asked for: a 360 px phone at 1-2x, a tablet,
and the page's widest column at 2x."""
HERO_WIDTH_PLACEHOLDER = "{width}"


def hero_image(url: str) -> HeroImage:
    """The hero image of ``url``. A URL holding ``{width}`` names a host that resizes
    (``https://cdn.example/hero.jpg?w={width}``, as imgix, Cloudinary or a CDN's image
    service do): the browser gets one candidate per width in ``HERO_WIDTHS`` and picks
    the smallest that fills the screen. Any other URL is the one image there is."""
    if HERO_WIDTH_PLACEHOLDER not in url:
        return HeroImage(src=url)
    candidates = [
        f"{url.replace(HERO_WIDTH_PLACEHOLDER, str(width))} {width}w" for width in HERO_WIDTHS
    ]
    return HeroImage(
        src=url.replace(HERO_WIDTH_PLACEHOLDER, str(HERO_WIDTHS[1])),
        srcset=", ".join(candidates),
    )


MEDIA_FIELDS = ("logo_url", "hero_image_url", "hero_video_url")
"""The fields of a page snapshot that the page loads as it is shown."""


def _host(value: str) -> str:
    return value.lower().rstrip(".")


def external_https(url: str, own_hosts: Iterable[str]) -> bool:
    """Whether ``url`` is https to another site than the landing service's own.

    A page loads its media as it is shown, so a URL on the landing service (a relative
    path, or its public host) would be a request to a candidate route: a view, a start
    or a submission of some campaign, counted on every visit of this one. One employer
    could move another's funnel; nothing the page loads may point there."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
    except ValueError:
        return False
    host = _host(parts.hostname or "")
    return (port is None or port > 0) and (
        parts.scheme == "https"
        and bool(host)
        and "@" not in parts.netloc  # no user info: "https://cdn@landing/..." is landing
        and host not in {_host(own) for own in own_hosts}
    )


@dataclass(frozen=True)
class MediaPolicy:
    """Which media URLs a page may show: https, from an allowed origin (the CSP allows
    exactly those), never on the landing service's own hosts, never relative."""

    origins: tuple[str, ...] = ()
    own_hosts: tuple[str, ...] = ()

    def allows(self, url: str) -> bool:
        if not external_https(url, self.own_hosts):
            return False
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" in self.origins


def without_foreign_media(snapshot: Mapping[str, Any], own_hosts: Sequence[str]) -> list[str]:
    """The media fields of ``snapshot`` that may never be shown (see ``external_https``)."""
    return [
        name
        for name in MEDIA_FIELDS
        if snapshot.get(name) and not external_https(str(snapshot[name]), own_hosts)
    ]
