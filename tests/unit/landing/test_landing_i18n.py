"""Dutch and English, from Babel catalogues: complete, negotiated, kept in the URL."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from landing_support import apply_event, campaign, entry_links, form_token

from koers.events import CampaignPublished, PageTexts, QuizQuestionText
from landing.web.i18n import LOCALE_DIR, SUPPORTED, choose_language, parse_accept_language

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("language", SUPPORTED)
def test_every_message_is_translated_and_keeps_its_placeholders(language: str) -> None:
    template = read_po((LOCALE_DIR / "messages.pot").open("rb"))
    catalogue = read_po((LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb"))
    ids = {m.id for m in template if m.id}

    assert ids == {m.id for m in catalogue if m.id}, "run pybabel update (see babel.cfg)"
    for message in catalogue:
        if not message.id:
            continue
        assert message.string, f"{language}: no translation for {message.id!r}"
        assert not message.fuzzy, message.id
        placeholders = sorted(re.findall(r"%\(\w+\)s", str(message.id)))
        assert sorted(re.findall(r"%\(\w+\)s", str(message.string))) == placeholders


def test_templates_hold_no_untranslated_words() -> None:
    """Texts in templates go through the catalogue: outside tags and {{ }}, none remain."""
    templates = LOCALE_DIR.parent / "templates"
    for path in templates.glob("*.html"):
        text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", "", path.read_text(), flags=re.S)
        text = re.sub(r"<script>.*?</script>|<[^>]+>", "", text, flags=re.S)
        words = [w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in {"Koers"}]
        assert words == [], f"{path.name}: {words}"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB,en;q=0.9,nl;q=0.8", ["en", "en", "nl"]),
        ("nl;q=0.2, en;q=0.9", ["en", "nl"]),
        ("*, de;q=0", []),
        ("fr;q=abc, en", ["en"]),
        ("", []),
    ],
)
def test_accept_language_is_parsed_by_preference(header: str, expected: list[str]) -> None:
    assert parse_accept_language(header) == expected


def test_language_comes_from_the_url_then_the_browser_then_the_campaign() -> None:
    page = campaign().page

    assert choose_language(page, "en", "nl") == "en"
    assert choose_language(page, None, "de, en;q=0.5") == "en"
    assert choose_language(page, "fr", "de") == "nl"
    only_dutch = page.model_copy(update={"languages": ("nl",)})
    assert choose_language(only_dutch, "en", "en") == "nl"


def test_english_browser_gets_english_pages_all_the_way_through(
    client: TestClient, published: CampaignPublished
) -> None:
    english = {"accept-language": "en-US,en;q=0.9"}
    page = client.get("/j/klantenservice-utrecht?v=v-video", headers=english)

    assert page.headers["content-language"] == "en"
    assert '<html lang="en">' in page.text
    assert "Take the quiz: does this job suit you?" in page.text
    # Campaign texts were written in Dutch only: shown as Dutch, marked as Dutch.
    assert '<article class="hero" lang="nl">' in page.text
    form = client.get(entry_links(page.text)["lead"])  # no header: the URL carries it
    assert "How may we contact you?" in form.text
    sent = client.post(
        "/j/klantenservice-utrecht/lead?lang=en",
        data={
            "form_token": form_token(form.text),
            "name": "Sam",
            "phone": "0612345678",
            "contact_channel": "phone",
            "consent": "yes",
        },
    )
    assert "What happens next?" in sent.text
    assert "will call you on the number you gave, within 2 working days" in sent.text


def test_the_switch_changes_language_without_a_second_page_view(
    client: TestClient, published: CampaignPublished
) -> None:
    from landing_support import outbox

    page = client.get("/j/klantenservice-utrecht?v=v-image&utm_source=ig")
    links = re.findall(r'<a href="([^"]+)" hreflang="en"', page.text)
    assert len(links) == 1
    english = client.get(links[0].replace("&amp;", "&"))

    assert "Leave your details, we will call or message you" in english.text
    assert "utm_source=ig" in links[0] and "v=v-image" in links[0]
    engine = client.app.state.engine  # type: ignore[attr-defined]
    assert len(outbox(engine, "PageViewed")) == 1
    assert "set-cookie" not in english.headers


def test_translated_campaign_texts_are_used_when_the_marketer_gave_them(
    client: TestClient, engine: object
) -> None:
    import sqlalchemy as sa

    assert isinstance(engine, sa.Engine)
    base = campaign()
    translated = base.model_copy(
        update={
            "page": base.page.model_copy(
                update={
                    "translations": {
                        "en": PageTexts(
                            headline="Join our customer service in Utrecht",
                            intro="Help customers onwards.",
                            quiz=(
                                QuizQuestionText(question="Hours a week?", options=("24-32", "8")),
                                QuizQuestionText(question="Like helping?", options=("Yes", "No")),
                            ),
                        )
                    }
                }
            )
        }
    )
    apply_event(engine, translated)

    page = client.get("/j/klantenservice-utrecht?lang=en")
    quiz = client.get(entry_links(page.text)["quiz"])

    assert '<article class="hero" lang="en">' in page.text
    assert "Join our customer service in Utrecht" in page.text
    assert "Hours a week?" in quiz.text and "Question 1 of 2" in quiz.text


def test_error_pages_speak_the_browsers_language(client: TestClient) -> None:
    english = client.get("/j/does-not-exist", headers={"accept-language": "en"})
    dutch = client.get("/j/bestaat-niet")

    assert english.status_code == dutch.status_code == 404
    assert "This page does not exist (any more)" in english.text
    assert "Deze pagina bestaat niet (meer)" in dutch.text


def test_long_headline_words_carry_soft_hyphens_in_the_page_language() -> None:
    from landing.web.rendering import hyphenate

    assert hyphenate("Word klantenservicemedewerker", "nl") == (
        "Word klan\u00adten\u00adser\u00advi\u00adce\u00adme\u00adde\u00adwer\u00adker"
    )
    assert hyphenate("Help customers", "en") == "Help customers"  # short words stay whole
