"""The engine's sentences travel as phrases: the English text and the phrase say the same,
and the console shows the phrase in Dutch with Dutch numbers and creatives' names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from campaigns.web.i18n import load_catalogues
from koers.phrases import (
    Decimal1,
    Euros,
    Phrase,
    Share,
    english,
    in_english,
    phrase,
    plural_phrase,
    render,
    say,
)

pytestmark = pytest.mark.unit

GOLDEN = Path(__file__).parents[2] / "fixtures" / "allocation_golden"
DUTCH = load_catalogues()["nl"]


def _golden_responses() -> list[dict[str, object]]:
    return [
        call["response"]
        for path in sorted(GOLDEN.glob("*.json"))
        for call in json.loads(path.read_text(encoding="utf-8"))["calls"]
    ]


def test_every_golden_phrase_renders_to_its_english_text() -> None:
    compared = 0
    for response in _golden_responses():
        pairs = [
            *zip(response["explanation_phrases"], response["explanation"], strict=True),  # type: ignore[call-overload]
            *zip(response["warning_phrases"], response["warnings"], strict=True),  # type: ignore[call-overload]
            *((v["reason_phrase"], v["reason"]) for v in response["variants"]),  # type: ignore[attr-defined]
        ]
        for said, text in pairs:
            assert english(said) == text
            # The catalogue-free general path writes the same English as the fast one.
            assert render(Phrase.model_validate(said)) == text
            compared += 1
    assert compared > 500


def test_a_reason_reads_in_dutch_with_dutch_numbers() -> None:
    reason = phrase(
        "%(opening)s: it keeps the minimum share so it can still prove itself.",
        opening=phrase("%(p_best_chance)s chance of being the best creative", p_best_chance=0.004),
    )
    assert render(reason, DUTCH, "nl_NL") == (
        "Minder dan 1% kans de beste creatie te zijn: houdt het minimumdeel, zodat de "
        "creatie zich nog kan bewijzen."
    )
    assert english(reason) == (
        "Under 1% chance of being the best creative: it keeps the minimum share so it can "
        "still prove itself."
    )


def test_amounts_plurals_and_names_follow_the_reader() -> None:
    week = plural_phrase(
        "Week %(week)s: %(budget_eur)s over %(count)s creative.",
        "Week %(week)s: %(budget_eur)s over %(count)s creatives.",
        4,
        week="2026-W50",
        budget_eur=1234.5,
    )
    assert render(week, DUTCH, "nl_NL") == "Week 2026-W50: €\u00a01.234,50 over 4 creaties."
    assert english(week) == "Week 2026-W50: €1,234.50 over 4 creatives."
    move = phrase(
        "%(variant)s goes up %(delta_eur)s to %(amount_eur)s: %(reason)s",
        variant="ig-video",
        delta_eur=150,
        amount_eur=400,
        reason=phrase(
            "%(opening)s; its share follows that chance.",
            opening=phrase(
                "%(p_best_chance)s chance of being the best creative", p_best_chance=0.62
            ),
        ),
    )
    # A sentence that starts with a creative keeps its case; the console names it.
    assert english(move) == (
        "ig-video goes up €150.00 to €400.00: 62% chance of being the best creative; its "
        "share follows that chance."
    )
    dutch = render(move, DUTCH, "nl_NL", {"ig-video": "Instagram-video met Sanne"})
    assert dutch.startswith("Instagram-video met Sanne")
    assert "€\u00a0150,00" in dutch and "62% kans de beste creatie te zijn" in dutch


def test_a_translation_that_names_a_missing_figure_falls_back_to_english() -> None:
    class Broken:
        def gettext(self, message: str) -> str:
            return "%(nowhere)s"

        def ngettext(self, singular: str, plural: str, n: int) -> str:
            return "%(nowhere)s"

    said = phrase("evidence counts half after %(weeks)s weeks, because creatives tire.", weeks=5)
    assert render(said, Broken(), "nl_NL") == (
        "Evidence counts half after 5 weeks, because creatives tire."
    )


def test_figures_say_their_own_format_on_every_path() -> None:
    said = Phrase(
        "%(hours)s h waited, %(spend)s spent, %(share)s of it on %(channel)s; %(cap)s",
        {
            "hours": Decimal1(3.45),
            "spend": Euros(1234.5, 0),
            "share": Share(0.025, 1),
            "channel": "linkedin",
            "cap": Phrase("at most %(cap)s", {"cap": Euros(float("inf"))}),
        },
    )
    words = "3.4 h waited, €1,234 spent, 2.5% of it on linkedin; at most unbounded"
    # The fast English path and the general one share the figures' formatter.
    assert in_english(said) == say(said) == words
    assert english(said) == render(said) == words
    assert say(said, DUTCH, "nl_NL") == (
        "3,4 h waited, €\u00a01.234 spent, 2,5% of it on linkedin; at most onbegrensd"
    )
    assert hash(said) == hash(Phrase(said.text, {"hours": Decimal1(1)}))


def test_a_sentence_starts_with_a_capital_and_words_in_a_line_do_not() -> None:
    interval = Phrase("counted, not estimated")
    assert say(interval, DUTCH, "nl_NL") == "geteld, niet geschat"
    assert render(interval, DUTCH, "nl_NL") == "Geteld, niet geschat"
    assert in_english(interval) == "counted, not estimated"
    assert english(interval) == "Counted, not estimated"


def test_data_from_elsewhere_cannot_make_a_figure() -> None:
    # A figure is made in-process: the wire's schema does not offer one, and data shaped
    # like one is refused as a bad phrase (a 4xx for whoever sent it), not a crash.
    assert "amount" not in json.dumps(Phrase.model_json_schema())
    with pytest.raises(ValidationError):
        Phrase.model_validate({"text": "%(cost)s", "args": {"cost": {"amount": 5.0}}})
