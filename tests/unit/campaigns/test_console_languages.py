"""The console in Dutch and English: a complete catalogue, every screen in both
languages, the choice kept per user, numbers and dates as each language writes them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from campaigns_testkit import DEMO_PASSWORD, csrf_from, log_in
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.decisions.domain import parse_euros
from campaigns.demo import DEMO_EMAIL, DEMO_SLUG, DEMO_TENANT
from campaigns.seed import SeedResult
from campaigns.tenancy import repository as tenancy_repo
from campaigns.tenancy.service import create_user
from campaigns.web.i18n import LOCALE_DIR, LocaleFormats
from koers.db import transaction
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

HTML = {"Accept": "text/html"}
SERVICE_DIR = LOCALE_DIR.parent.parent
TEMPLATES = LOCALE_DIR.parent / "templates"
# The page builder and its preview show the candidate's page in the page's own
# language, not the marketer's; they are rebuilt on the landing service's templates.
CANDIDATE_LANGUAGE_TEMPLATES = {"page_builder.html", "page_preview.html"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]")
NEWCOMER = "nieuw@koers.local"


KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "flash": (2,),
    "phrase": None,
    "plural_phrase": (1, 2),
}
# The engine's sentences (koers.phrases) are shown in the console, so their message ids
# come into its catalogue too.
ENGINE_SENTENCES = SERVICE_DIR.parent / "analytics" / "analytics" / "allocation"
PHRASES_MODULE = SERVICE_DIR.parents[1] / "libs" / "koers" / "koers" / "phrases.py"


def _source_messages() -> set[str | tuple[str, ...]]:
    """What the code and templates ask to translate now (as ``pybabel extract`` finds it)."""
    with (SERVICE_DIR / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = [
        message
        for directory in (LOCALE_DIR.parent, ENGINE_SENTENCES)
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(directory), method_map, options_map, keywords=KEYWORDS
        )
    ]
    with PHRASES_MODULE.open("rb") as module:
        found += [m for _line, m, _c, _ctx in extract("python", module, keywords=KEYWORDS)]
    return set(found)


def _catalogue_ids(path: Path) -> set[str | tuple[str, ...]]:
    with path.open("rb") as po_file:
        catalogue = read_po(po_file)
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalogue if m.id}


def test_the_message_template_holds_what_the_code_asks_for() -> None:
    assert _source_messages() == _catalogue_ids(LOCALE_DIR / "messages.pot"), (
        "run pybabel extract and update (see services/campaigns/babel.cfg)"
    )


def test_every_message_has_a_dutch_translation_with_its_placeholders() -> None:
    nl_path = LOCALE_DIR / "nl" / "LC_MESSAGES" / "messages.po"
    assert _catalogue_ids(nl_path) == _catalogue_ids(LOCALE_DIR / "messages.pot")
    with nl_path.open("rb") as po_file:
        catalogue = read_po(po_file, locale="nl")
    for message in catalogue:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings), f"no Dutch for {message.id!r}"
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == wanted, message.id


def test_templates_hold_no_text_outside_the_catalogue() -> None:
    for path in TEMPLATES.glob("*.html"):
        if path.name in CANDIDATE_LANGUAGE_TEMPLATES:
            continue
        text = re.sub(r"{%-? ?trans\b.*?endtrans ?-?%}", "", path.read_text(), flags=re.S)
        text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", "", text, flags=re.S)
        text = re.sub(r"<script\b.*?</script>|<[^>]+>", "", text, flags=re.S)
        words = [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in {"Koers", "UTC"}]
        assert words == [], f"{path.name}: {words}"


# --- every screen in both languages -----------------------------------------------------

SKIPPED_ROUTES = {
    # not console screens: machine answers, downloads, and pages of objects this scene
    # has none of (a lead, an invitation link); their templates are covered elsewhere
    "openapi",
    "swagger_ui_html",
    "swagger_ui_redirect",
    "redoc_html",
    "healthz",
    "readyz",
    "metrics_endpoint",
    "dashboard_chart",
    "bulk_file",
    "lead_cv",
    "lead_erase_confirm",
    "invite_accept",
    "login",
    # the candidate's page as the landing service renders it, in the page's own language
    "page_preview_frame",
    # the weekly memo as e-mail: one Dutch message for every member who signed up
    "memo_email_preview",
    "memo_email_download",
}


def _set_language(engine: Engine, email: str, language: str) -> None:
    with transaction(engine) as conn:
        row = tenancy_repo.user_by_email(conn, email)
        assert row is not None
        tenancy_repo.set_language(conn, row.id, language)


def _upload_spend(client: TestClient) -> str:
    csv = (
        b"Ad name,Day,Amount spent,Impressions,Link clicks\n"
        b"KS-Utrecht | Reel werkdag,2026-11-19,1204.50,98210,1322\n"
    )
    response = client.post(
        f"/api/v1/campaigns/{DEMO_SLUG}/spend-imports",
        files={"file": ("meta.csv", csv, "text/csv")},
        headers={"X-CSRF-Token": csrf_from(client.get("/", headers=HTML).text)},
    )
    assert response.status_code == 201, response.text
    import_id: str = response.json()["id"]
    return import_id


def _console_screens(client: TestClient, seeded: SeedResult) -> list[str]:
    values = {
        "slug": DEMO_SLUG,
        "variant_id": seeded.variant_ids[0] if hasattr(seeded, "variant_ids") else "",
        "import_id": _upload_spend(client),
    }
    if not values["variant_id"]:
        detail = client.get(f"/campaigns/{DEMO_SLUG}", headers=HTML).text
        found = re.search(rf"/campaigns/{DEMO_SLUG}/creatives/([^/\"]+)/edit", detail)
        assert found, "the demo campaign lists its creatives"
        values["variant_id"] = found.group(1)
    paths = []
    for context in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        path = context.path or ""
        if "GET" not in (context.methods or ()) or path.startswith(("/api/", "/static")):
            continue
        if context.name in SKIPPED_ROUTES:
            continue
        paths.append(re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path))
    return paths


@pytest.mark.parametrize(
    ("language", "navigation"), [("nl", "Beslissingen deze week"), ("en", "This week's decisions")]
)
def test_every_console_screen_renders_in_each_language(
    client: TestClient, seeded: SeedResult, engine: Engine, language: str, navigation: str
) -> None:
    _set_language(engine, DEMO_EMAIL, language)
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    screens = _console_screens(client, seeded)
    assert len(screens) >= 15, screens
    for path in screens:
        response = client.get(path, headers=HTML)
        assert response.status_code == 200, (path, response.status_code)
        page = response.text
        assert f'<html lang="{language}">' in page, path
        if path != "/employer":  # the employer chooser comes before the navigation
            assert navigation in page, path
        assert not PLACEHOLDER.search(page), (path, PLACEHOLDER.search(page))


def test_a_new_account_reads_dutch_and_switches_to_english_for_good(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    with transaction(engine) as conn:
        tenant_id = tenancy_repo.tenant_id_by_name(conn, DEMO_TENANT)
        assert tenant_id is not None
        create_user(  # the service's own: no language given
            conn,
            tenant_id=tenant_id,
            email=NEWCOMER,
            password=DEMO_PASSWORD,
            role="marketer",
            now=datetime(2026, 11, 23, tzinfo=UTC),
            password_hasher=FAST_PASSWORD_HASHER,
        )
    log_in(client, NEWCOMER, DEMO_PASSWORD)
    dutch = client.get("/", headers=HTML).text
    assert '<html lang="nl">' in dutch
    assert "<h1>Campagnes</h1>" in dutch

    switched = client.post(
        "/account/language",
        data={"language": "en", "next": "/audit?page=1", "csrf_token": csrf_from(dutch)},
        headers=HTML,
        follow_redirects=False,
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/audit?page=1"
    assert "<h1>Audit log</h1>" in client.get("/audit", headers=HTML).text

    # The preference is the account's: a new session (another browser) keeps it.
    other = TestClient(client.app)
    log_in(other, NEWCOMER, DEMO_PASSWORD)
    assert "<h1>Campaigns</h1>" in other.get("/", headers=HTML).text


def test_an_unknown_language_is_refused_readably(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    _set_language(engine, DEMO_EMAIL, "nl")
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    token = csrf_from(client.get("/", headers=HTML).text)
    response = client.post(
        "/account/language", data={"language": "fr", "csrf_token": token}, headers=HTML
    )
    assert response.status_code == 422
    assert "Kies Nederlands (nl) of English (en)." in response.text


@pytest.mark.parametrize(
    ("header", "heading"),
    [
        ("en-GB,en;q=0.9", "<h1>Log in</h1>"),
        ("nl-NL,nl;q=0.9,en;q=0.5", "<h1>Inloggen</h1>"),
        ("fr-FR", "<h1>Inloggen</h1>"),
        ("", "<h1>Inloggen</h1>"),
    ],
)
def test_before_logging_in_the_browser_language_is_the_hint(
    client: TestClient, header: str, heading: str
) -> None:
    page = client.get("/login", headers={**HTML, "Accept-Language": header}).text
    assert heading in page


def test_flash_messages_and_errors_are_in_the_readers_language(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    _set_language(engine, DEMO_EMAIL, "nl")
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    form = client.get(f"/campaigns/{DEMO_SLUG}/page", headers=HTML).text
    response = client.post(
        f"/campaigns/{DEMO_SLUG}/page/unpublish",
        data={"csrf_token": csrf_from(form)},
        headers=HTML,
    )
    assert "De pagina is offline; de campagne is gepauzeerd" in response.text

    missing = client.get("/campaigns/no-such-campaign", headers=HTML)
    assert missing.status_code == 404
    assert '<html lang="nl">' in missing.text
    assert "Niet gevonden" in missing.text


@pytest.mark.parametrize(
    ("language", "amount", "day", "moment"),
    [
        ("nl", "€\xa01.234,50", "5 dec 2026", "5 dec 2026 09:30"),
        ("en", "€1,234.50", "5 Dec 2026", "5 Dec 2026 09:30"),
    ],
)
def test_amounts_and_dates_are_written_as_each_language_writes_them(
    language: str, amount: str, day: str, moment: str
) -> None:
    formats = LocaleFormats(language)  # type: ignore[arg-type]
    assert formats.euro(Decimal("1234.5")) == amount
    assert formats.day(date(2026, 12, 5)) == day
    assert formats.moment(datetime(2026, 12, 5, 9, 30, tzinfo=UTC)) == moment
    assert formats.moment(datetime(2026, 12, 5, 9, 30)) == moment  # SQLite's naive UTC
    assert formats.euro(None) == "-"


@pytest.mark.parametrize(("language", "typed"), [("nl", "123456,70"), ("en", "123456.70")])
def test_an_amount_to_edit_is_written_as_the_reader_types_it(language: str, typed: str) -> None:
    # No grouping separator: "1.234,50" in a field would read back differently.
    assert LocaleFormats(language).amount_field(12345670) == typed  # type: ignore[arg-type]
    assert parse_euros(typed) == 12345670


def test_form_errors_are_in_the_readers_language(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    _set_language(engine, DEMO_EMAIL, "nl")
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    form = client.get("/campaigns/new", headers=HTML).text
    response = client.post(
        "/campaigns",
        data={
            "csrf_token": csrf_from(form),
            "name": "",
            "weekly_budget": "",
            "starts_on": "1990-01-01",
        },
        headers=HTML,
    )
    assert response.status_code == 422
    assert "Verbeter de velden die hieronder zijn gemarkeerd." in response.text
    assert "Vul dit in." in response.text
    assert "Please fill this in." not in response.text
    assert "Moet tussen 2000-01-01 en 2199-12-31 liggen." in response.text
    assert "Decimal input" not in response.text
