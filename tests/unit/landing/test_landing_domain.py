"""Pure rules: phone and e-mail normalisation, lead validation, quiz scoring, salts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from landing_support import campaign

from koers.db import transaction
from landing.privacy import repository
from landing.submissions import domain

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("06 12345678", "+31612345678"),
        ("+31 6 12345678", "+31612345678"),
        ("0031612345678", "+31612345678"),
        ("020-1234567", "+31201234567"),
        ("+32 470 12 34 56", "+32470123456"),
        ("12ab", None),
        ("06 1234", None),
    ],
)
def test_phone_numbers_are_normalised_to_e164(typed: str, e164: str | None) -> None:
    assert domain.normalise_phone(typed) == e164


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("Jan@Voorbeeld.NL", "Jan@voorbeeld.nl"),
        (" jan@voorbeeld.nl ", "jan@voorbeeld.nl"),
        ("jan@voorbeeld", None),
        ("jan voorbeeld.nl", None),
        ("jan@@voorbeeld.nl", None),
    ],
)
def test_email_sanity_check(typed: str, normal: str | None) -> None:
    assert domain.normalise_email(typed) == normal


def test_a_valid_lead_with_email_only_for_the_linkedin_channel() -> None:
    result = domain.validate_lead_form(
        domain.LeadForm(
            name="  Jan   Jansen ",
            email="jan@voorbeeld.nl",
            contact_channel="linkedin",
            consent=True,
        )
    )

    assert result.errors == {}
    assert result.lead == domain.ValidLead(
        name="Jan Jansen",
        phone_e164=None,
        email="jan@voorbeeld.nl",
        contact_channel="linkedin",
        best_moment=None,
    )


def test_whatsapp_needs_a_phone_and_bad_best_moment_is_refused() -> None:
    result = domain.validate_lead_form(
        domain.LeadForm(
            name="Jan",
            email="jan@voorbeeld.nl",
            contact_channel="whatsapp",
            best_moment="midnight",
            consent=True,
        )
    )

    assert result.lead is None
    assert result.errors == {
        "phone": "phone_required_for_channel",
        "best_moment": "best_moment_invalid",
    }


def test_variant_resolution() -> None:
    published = campaign()

    assert domain.resolve_variant(published, "v-video") == "v-video"
    assert domain.resolve_variant(published, "v-other") == "direct"
    assert domain.resolve_variant(published, None) == "direct"
    assert domain.resolve_variant(published, "x" * 500) == "direct"


def test_utm_keeps_known_non_empty_capped_keys() -> None:
    cleaned = domain.clean_utm(
        {"utm_source": " tiktok ", "utm_medium": "", "utm_content": "x" * 300, "other": "y"}
    )

    assert cleaned == {"utm_source": "tiktok", "utm_content": "x" * 100}


def test_quiz_scoring() -> None:
    content = campaign().page

    passed = domain.score_quiz(content.quiz, ["0", "0"], content.quiz_pass_score)
    failed = domain.score_quiz(content.quiz, ["1", "0"], content.quiz_pass_score)
    missing = domain.score_quiz(content.quiz, ["0", "7"], content.quiz_pass_score)

    assert passed.result == domain.QuizScore(answers=(0, 0), score=10, qualified=True)
    assert failed.result is not None and failed.result.qualified is False
    assert missing.errors == {"q1": "answer_required"}


def test_visitor_keys_differ_by_salt_campaign_ip_and_user_agent() -> None:
    base = domain.visitor_key("salt", "cmp-1", "10.0.0.1", "phone")

    assert base == domain.visitor_key("salt", "cmp-1", "10.0.0.1", "phone")
    assert (
        len(
            {
                base,
                domain.visitor_key("other", "cmp-1", "10.0.0.1", "phone"),
                domain.visitor_key("salt", "cmp-2", "10.0.0.1", "phone"),
                domain.visitor_key("salt", "cmp-1", "10.0.0.2", "phone"),
                domain.visitor_key("salt", "cmp-1", "10.0.0.1", "tablet"),
            }
        )
        == 5
    )


def test_a_new_daily_salt_discards_salts_older_than_48_hours(engine: sa.Engine) -> None:
    start = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
    salts = []
    for day in range(4):
        now = start + timedelta(days=day)
        with transaction(engine) as conn:
            salts.append(repository.daily_salt(conn, now.date(), now))
            same = repository.daily_salt(conn, now.date(), now + timedelta(hours=1))
        assert same == salts[-1]

    with engine.connect() as conn:
        kept = conn.execute(sa.select(repository.visitor_salts.c.day)).scalars().all()
    assert len(set(salts)) == 4
    assert sorted(kept) == [date(2025, 3, 11), date(2025, 3, 12), date(2025, 3, 13)]
