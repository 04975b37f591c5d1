"""Candidates on a phone, in Chromium: every entry point, its validation errors, Dutch
and English, keyboard only, without JavaScript; axe-core on every page state; no
request ever leaves the landing origin."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    SLUG,
    check_accessibility,
    docs_screenshot,
    every_input_is_labelled,
    horizontal_overflow,
    screenshot,
)

from campaigns.demo import DEMO_PAGE, DEMO_SLUG

pytestmark = pytest.mark.browser


def _watch_requests(page: Any, origin: str) -> list[str]:
    """Every URL the page asks for that is not on the landing origin."""
    foreign: list[str] = []

    def record(request: Any) -> None:
        url = request.url
        if not url.startswith((origin, "data:")):
            foreign.append(url)

    page.on("request", record)
    return foreign


def _words(element: Any) -> str:
    """An element's text as read, without the soft hyphens long words carry."""
    text: str = element.inner_text()
    return text.replace("\u00ad", "")


def _check(page: Any, axe: Path, state: str) -> None:
    screenshot(page, state)
    check_accessibility(page, axe, state)
    assert every_input_is_labelled(page) == [], state


def test_lead_form_in_dutch_with_errors_then_thanks(
    phone: Any, landing_url: str, axe_source: Path
) -> None:
    foreign = _watch_requests(phone, landing_url)
    phone.goto(f"{landing_url}/j/{SLUG}?v=v-video&utm_source=tiktok")
    assert _words(phone.locator("h1")) == "Word klantenservicemedewerker in Utrecht"
    _check(phone, axe_source, "nl-page")

    phone.get_by_role("link", name="Laat je gegevens achter, wij bellen of appen je").click()
    assert "utm_source=tiktok" in phone.url
    _check(phone, axe_source, "nl-lead-form")

    phone.get_by_label("Naam").fill("Sanne de Vries")
    phone.get_by_label("Telefoonnummer").fill("12ab")
    phone.get_by_role("button", name="Verstuur").click()
    assert phone.locator(".form-errors").is_visible()
    assert "Dit telefoonnummer klopt niet" in phone.content()
    assert "Zonder je toestemming" in phone.content()
    _check(phone, axe_source, "nl-lead-form-errors")

    phone.get_by_label("Telefoonnummer").fill("06 12345678")
    phone.get_by_label("WhatsApp").check()
    phone.get_by_label("Avond").check()
    phone.locator("#consent").check()
    phone.get_by_role("button", name="Verstuur").click()
    phone.wait_for_url(re.compile(r"/thanks\?"))
    assert "Bedankt, we hebben je gegevens!" in phone.content()
    assert "WhatsApp-bericht" in phone.locator(".next-step").inner_text()
    assert phone.get_by_role("link", name=re.compile("toestemming intrekken")).is_visible()
    _check(phone, axe_source, "nl-lead-thanks")
    assert foreign == []


def test_quiz_in_english_shows_progress_and_a_result(
    phone: Any, landing_url: str, axe_source: Path
) -> None:
    foreign = _watch_requests(phone, landing_url)
    phone.goto(f"{landing_url}/j/{SLUG}")
    phone.get_by_role("link", name="English").click()
    assert phone.locator("html").get_attribute("lang") == "en"
    _check(phone, axe_source, "en-page")

    phone.get_by_role("link", name="Take the quiz: does this job suit you?").click()
    assert "Question 1 of 3" in phone.content()
    assert phone.locator("progress").get_attribute("value") == "1"
    _check(phone, axe_source, "en-quiz-1")

    phone.get_by_role("button", name="Next question").click()  # nothing chosen
    assert "Choose an answer." in phone.content()
    _check(phone, axe_source, "en-quiz-1-error")

    phone.get_by_label("24-32").check()
    phone.get_by_role("button", name="Next question").click()
    assert "Question 2 of 3" in phone.content()
    phone.get_by_label("Ja", exact=True).check()
    phone.get_by_role("button", name="Next question").click()
    assert "Question 3 of 3" in phone.content()
    _check(phone, axe_source, "en-quiz-3")
    phone.get_by_label("Ja, prima").check()
    phone.get_by_role("button", name="See my result").click()

    phone.wait_for_url(re.compile(r"/quiz/result\?"))
    assert phone.locator("h1").inner_text() == "You are a good fit for this job!"
    _check(phone, axe_source, "en-quiz-result")
    phone.get_by_role("link", name="Leave your details, we will call or message you").click()
    assert "How may we contact you?" in phone.content()
    assert foreign == []


def test_apply_with_a_refused_file_then_a_real_cv(
    phone: Any, landing_url: str, axe_source: Path, tmp_path: Path
) -> None:
    from browser_support import ROOT

    phone.goto(f"{landing_url}/j/{SLUG}?lang=en")
    phone.get_by_role("link", name="Apply now").click()
    _check(phone, axe_source, "en-apply-form")

    fake = tmp_path / "cv.pdf"
    fake.write_bytes(b"MZ" + b"\x00" * 1000)
    phone.get_by_label("Name").fill("Sam Jansen")
    phone.get_by_label("E-mail address").fill("sam@example.com")
    phone.get_by_label("Phone number").fill("+31 6 12345678")
    phone.get_by_label("Your CV").set_input_files(str(fake))
    phone.locator("#consent").check()
    phone.get_by_role("button", name="Send my application").click()
    assert "This file is a program, not a CV" in phone.content()
    _check(phone, axe_source, "en-apply-refused-cv")

    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    real = tmp_path / "Sam Jansen CV.pdf"
    real.write_bytes(buffer.getvalue())
    phone.get_by_label("Your CV").set_input_files(str(real))
    phone.get_by_label("Why this job?").fill("I like helping people.")
    phone.locator("#consent").check()
    phone.get_by_role("button", name="Send my application").click()
    phone.wait_for_url(re.compile(r"/thanks\?"))
    assert "Thank you for your application!" in phone.content()
    assert "will e-mail you" in phone.locator(".next-step").inner_text()
    _check(phone, axe_source, "en-apply-thanks")
    assert ROOT.exists()


def _tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab until the focus is on ``selector`` (only the keyboard moves it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_lead_form_can_be_completed_with_the_keyboard_only(
    phone: Any, landing_url: str
) -> None:
    phone.goto(f"{landing_url}/j/{SLUG}")
    _tab_to(phone, "a[data-entry=lead]")
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(r"/lead\?"))

    _tab_to(phone, "#name")
    phone.keyboard.type("Kees Toetsenbord")
    _tab_to(phone, "#phone")
    phone.keyboard.type("0612345678")
    _tab_to(phone, "input[name=contact_channel]")
    phone.keyboard.press("ArrowDown")  # radio group: arrows choose (whatsapp -> phone)
    _tab_to(phone, "#consent")
    phone.keyboard.press("Space")
    _tab_to(phone, "button[type=submit]")
    phone.keyboard.press("Enter")

    phone.wait_for_url(re.compile(r"/thanks\?"))
    assert "belt je" in phone.locator(".next-step").inner_text()
    screenshot(phone, "nl-keyboard-thanks")


def test_every_entry_point_works_without_javascript(no_js_phone: Any, landing_url: str) -> None:
    page = no_js_phone
    page.goto(f"{landing_url}/j/{SLUG}")
    page.get_by_role("link", name="Doe de quiz: past deze baan bij jou?").click()
    for label in ("8", "Nee", "Liever niet"):
        page.get_by_label(label, exact=True).check()
        page.locator("button[type=submit]").click()
    assert "Bedankt voor het invullen" in page.content()
    screenshot(page, "nl-nojs-quiz-result")

    page.get_by_role("link", name="Laat je gegevens achter, wij bellen of appen je").click()
    page.get_by_label("Naam").fill("Zonder Script")
    page.get_by_label("E-mailadres").fill("zonder@example.nl")
    page.get_by_label("E-mail", exact=True).check()
    page.locator("#consent").check()
    page.get_by_role("button", name="Verstuur").click()
    page.wait_for_url(re.compile(r"/thanks\?"))
    assert "mailt je" in page.locator(".next-step").inner_text()
    screenshot(page, "nl-nojs-thanks")


def test_the_csp_runs_the_hashed_script_and_blocks_any_other(
    strict_phone: Any, landing_url: str, tmp_path: Path
) -> None:
    page = strict_phone
    refused: list[str] = []
    page.on(
        "console", lambda msg: refused.append(msg.text) if "Content Security" in msg.text else None
    )
    page.goto(f"{landing_url}/j/{SLUG}/apply")

    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024))
    page.get_by_label("Je cv").set_input_files(str(big))
    # Our inline script (allowed by its hash) warns before anything is uploaded.
    assert page.locator("#cv-size-warning").is_visible()
    assert refused == []

    with pytest.raises(Exception, match=r"(?i)content security policy|refused"):
        page.add_script_tag(content="document.body.dataset.injected = 'yes'")
    assert page.evaluate("document.body.dataset.injected") is None
    screenshot(page, "nl-apply-size-warning")


DEMO_TEXTS = {
    "nl": {
        "headline": DEMO_PAGE["headline"],
        "quiz": "Doe de quiz: past deze baan bij jou?",
        "question_1": "Hoe help je iemand het liefst verder?",
        "question_2": "Hoeveel uur per week wil je werken?",
        "answers": ("Via chat of WhatsApp", "32 tot 40 uur", "Ik leg uit wat de regels zijn"),
        "next": "Volgende vraag",
        "result": "Bekijk mijn uitslag",
        "apply": "Direct solliciteren",
        "send": "Verstuur mijn sollicitatie",
        "thanks": "Bedankt voor je sollicitatie!",
    },
    "en": {
        "headline": DEMO_PAGE["translations"]["en"]["headline"],
        "quiz": "Take the quiz: does this job suit you?",
        "question_1": "How do you like to help someone best?",
        "question_2": "How many hours a week would you like to work?",
        "answers": ("By chat or WhatsApp", "32 to 40 hours", "I explain what the rules are"),
        "next": "Next question",
        "result": "See my result",
        "apply": "Apply now",
        "send": "Send my application",
        "thanks": "Thank you for your application!",
    },
}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_demo_fits_a_360px_phone_and_back_moves_between_quiz_steps(
    narrow_phone: Any, landing_url: str, lang: str
) -> None:
    page, texts = narrow_phone, DEMO_TEXTS[lang]
    page.goto(f"{landing_url}/j/{DEMO_SLUG}?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    assert _words(page.locator("h1")) == texts["headline"]
    assert horizontal_overflow(page) == [], "landing page"

    page.get_by_role("link", name=texts["quiz"]).click()
    assert texts["question_1"] in page.content()
    assert horizontal_overflow(page) == [], "quiz step 1"
    page.get_by_label(texts["answers"][0]).check()
    page.get_by_role("button", name=texts["next"]).click()
    page.wait_for_url(re.compile(r"answers="))
    assert texts["question_2"] in page.content()
    assert horizontal_overflow(page) == [], "quiz step 2"

    # Back is a plain GET (post/redirect/get): the previous question, no resubmit prompt.
    page.go_back()
    assert texts["question_1"] in page.content()
    assert not page.url.startswith("chrome-error")
    page.go_forward()
    assert texts["question_2"] in page.content()

    page.get_by_label(texts["answers"][1]).check()
    page.get_by_role("button", name=texts["next"]).click()
    page.get_by_label(texts["answers"][2]).check()
    page.get_by_role("button", name=texts["result"]).click()
    page.wait_for_url(re.compile(r"/quiz/result\?"))
    assert horizontal_overflow(page) == [], "quiz result"

    # The demo says a CV is not needed: the application goes through without one.
    page.get_by_role("link", name=texts["apply"]).click()
    page.locator("#name").fill("Sanne de Vries")
    page.locator("#email").fill("sanne@example.nl")
    page.locator("#phone").fill("06 12345678")
    page.locator("#consent").check()
    page.get_by_role("button", name=texts["send"]).click()
    page.wait_for_url(re.compile(r"/thanks\?"))
    assert texts["thanks"] in page.content()
    assert horizontal_overflow(page) == [], "thank-you page"


@pytest.mark.parametrize("width", [1440, 360])
def test_screenshots_of_the_demo_page_and_a_quiz_step(
    desktop: Any, landing_url: str, width: int
) -> None:
    page = desktop
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 780})
    page.goto(f"{landing_url}/j/{DEMO_SLUG}")
    assert horizontal_overflow(page) == []
    docs_screenshot(page, f"page-{width}")
    page.get_by_role("link", name=DEMO_TEXTS["nl"]["quiz"]).click()
    page.get_by_label(DEMO_TEXTS["nl"]["answers"][0]).check()
    page.get_by_role("button", name=DEMO_TEXTS["nl"]["next"]).click()
    page.wait_for_url(re.compile(r"answers="))
    assert horizontal_overflow(page) == []
    docs_screenshot(page, f"quiz-{width}")
