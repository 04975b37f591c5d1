"""Pure rules of page snapshots and of what a page says: no I/O, no framework."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

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


def media_allowed(url: str, allowed_origins: Sequence[str]) -> bool:
    """Root-relative media are ours; absolute ones only from an allowed origin (the CSP
    allows exactly those, so nothing else would load anyway)."""
    if url.startswith("/") and not url.startswith("//"):
        return True
    scheme, _, rest = url.partition("://")
    origin = f"{scheme}://{rest.split('/', 1)[0]}"
    return scheme == "https" and origin in allowed_origins
