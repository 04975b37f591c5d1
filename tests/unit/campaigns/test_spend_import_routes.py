"""Spend import through the real app: console and API, outbox, tenants, roles, CSRF."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from campaigns_testkit import HTML, NOW, csrf_from, log_in
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.catalog.domain import Variant
from campaigns.catalog.service import NewCampaign
from campaigns.spend import service as import_service
from campaigns.spend.repository import platform_spend_days, spend_imports
from koers.db import transaction
from koers.events import SpendRecorded, parse_envelope
from tests.support import campaigns_db as repo
from tests.support import campaigns_use_cases as service_layer

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "spend"
PASSWORD = "spend import test password"


@dataclass(frozen=True)
class World:
    slug_a: str
    campaign_a: str
    slug_b: str
    marketer_a: str
    viewer_a: str
    marketer_b: str


def _variant(variant_id: str, channel: str, ad_key: str | None) -> Variant:
    return Variant(
        variant_id=variant_id,
        name=f"Creative {variant_id}",
        channel=channel,
        creative_format="image",
        hook="Werken waar het ertoe doet",
        ad_key=ad_key,
    )


@pytest.fixture
def world(engine: Engine) -> World:
    tag = uuid.uuid4().hex[:6]
    tenant_a, tenant_b = str(uuid.uuid4()), str(uuid.uuid4())
    with transaction(engine) as conn:
        repo.add_tenant(conn, tenant_a, f"Zorggroep Noord {tag}")
        repo.add_tenant(conn, tenant_b, f"Bouwbedrijf Zuid {tag}")
        people = {
            "marketer_a": (tenant_a, "marketer"),
            "viewer_a": (tenant_a, "viewer"),
            "marketer_b": (tenant_b, "marketer"),
        }
        emails = {}
        for key, (tenant_id, role) in people.items():
            emails[key] = f"{key}-{tag}@example.nl"
            service_layer.create_user(
                conn, tenant_id=tenant_id, email=emails[key], password=PASSWORD, role=role, now=NOW
            )
        campaign_a = service_layer.create_campaign(
            conn,
            tenant_id=tenant_a,
            new=NewCampaign(
                slug=f"zorg-{tag}",
                name="Zorgmedewerkers Noord",
                vacancy_title="Zorgmedewerker",
                goal="lead",
                weekly_budget=Decimal("1000.00"),
                page={"language": "nl"},
                variants=[
                    _variant("video-a", "facebook", "Zorgmedewerker video A"),
                    _variant("foto-b", "instagram", "Zorgmedewerker foto B"),
                    _variant("li-carousel", "linkedin", "LI carousel - werken bij"),
                    _variant("li-text", "linkedin", None),
                ],
            ),
            actor="test",
            now=NOW,
        )
        campaign_b = service_layer.create_campaign(
            conn,
            tenant_id=tenant_b,
            new=NewCampaign(
                slug=f"bouw-{tag}",
                name="Timmerlieden Zuid",
                vacancy_title="Timmerman",
                goal="lead",
                weekly_budget=Decimal("500.00"),
                page={"language": "nl"},
                variants=[_variant("video-a", "facebook", "Zorgmedewerker video A")],
            ),
            actor="test",
            now=NOW,
        )
    return World(
        slug_a=campaign_a.slug,
        campaign_a=campaign_a.id,
        slug_b=campaign_b.slug,
        **emails,
    )


@pytest.fixture
def marketer_a(client: TestClient, world: World) -> TestClient:
    log_in(client, world.marketer_a, PASSWORD)
    return client


@pytest.fixture
def other_client(client: TestClient) -> Iterator[TestClient]:
    # Same app, its own cookies; the ``client`` fixture owns the app's lifespan.
    yield TestClient(client.app)


def csrf(client: TestClient) -> str:
    return csrf_from(client.get("/", headers=HTML).text)


def upload_console(
    client: TestClient, slug: str, name: str, *, data: bytes | None = None, token: str | None = None
) -> Any:
    content = data if data is not None else (FIXTURES / name).read_bytes()
    return client.post(
        f"/campaigns/{slug}/spend-imports",
        data={"csrf_token": token if token is not None else csrf(client)},
        files={"file": (name, content, "text/csv")},
        headers=HTML,
        follow_redirects=False,
    )


def upload_api(client: TestClient, slug: str, name: str, *, data: bytes | None = None) -> Any:
    content = data if data is not None else (FIXTURES / name).read_bytes()
    return client.post(
        f"/api/v1/campaigns/{slug}/spend-imports",
        files={"file": (name, content, "text/csv")},
        headers={"X-CSRF-Token": csrf(client)},
    )


def confirm_api(client: TestClient, slug: str, import_id: str) -> Any:
    return client.post(
        f"/api/v1/campaigns/{slug}/spend-imports/{import_id}/confirm",
        headers={"X-CSRF-Token": csrf(client)},
    )


def import_file(client: TestClient, slug: str, name: str) -> str:
    response = upload_api(client, slug, name)
    assert response.status_code == 201, response.text
    import_id: str = response.json()["id"]
    assert confirm_api(client, slug, import_id).status_code == 200
    return import_id


def spend_events(engine: Engine) -> list[tuple[str, SpendRecorded]]:
    """The SpendRecorded events in the outbox, in the order they were written."""
    with engine.connect() as conn:
        values = conn.execute(sa.select(repo.outbox.c.value).order_by(repo.outbox.c.id)).scalars()
        envelopes = [parse_envelope(value.encode()) for value in values]
    return [
        (e.campaign_id, payload)
        for e in envelopes
        if isinstance(payload := e.typed_payload(), SpendRecorded)
    ]


def spend_days(engine: Engine, campaign_id: str) -> dict[tuple[str, date], Decimal]:
    return {(d.variant_id, d.day): d.spend for d in _days(engine, campaign_id)}


def _days(engine: Engine, campaign_id: str) -> list[Any]:
    with engine.connect() as conn:
        return repo.spend_days_of(conn, campaign_id)


def as_analytics_sees_it(
    events: list[tuple[str, SpendRecorded]],
) -> dict[tuple[str, date], Decimal]:
    """Fold the events the way analytics' record_spend does: each replaces its variant-day."""
    folded: dict[tuple[str, date], Decimal] = {}
    for _, event in events:
        folded[(event.variant_id, event.day)] = Decimal(str(event.spend)).quantize(Decimal("0.01"))
    return {key: spend for key, spend in folded.items() if spend}


def count_rows(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


# --- the console: upload -> preview -> confirm ------------------------------------------


def test_console_upload_preview_and_confirm_a_dutch_meta_export(
    marketer_a: TestClient, world: World, engine: Engine
) -> None:
    form = marketer_a.get(f"/campaigns/{world.slug_a}/spend-imports", headers=HTML)
    assert form.status_code == 200
    assert 'type="file"' in form.text and 'name="csrf_token"' in form.text

    uploaded = upload_console(marketer_a, world.slug_a, "meta_nl_days.csv")
    assert uploaded.status_code == 303, uploaded.text
    preview = marketer_a.get(uploaded.headers["location"], headers=HTML)
    assert preview.status_code == 200
    assert "Meta Ads Manager export (Dutch)" in preview.text
    assert "semicolons" in preview.text and "decimal comma" in preview.text
    assert "All rows are fine: 14 creative-days" in preview.text
    assert "skipped: Totals row" in preview.text
    assert spend_events(engine) == []  # a preview imports nothing

    confirm_url = uploaded.headers["location"] + "/confirm"
    confirmed = marketer_a.post(
        confirm_url, data={"csrf_token": csrf(marketer_a)}, headers=HTML, follow_redirects=False
    )
    assert confirmed.status_code == 303
    after = marketer_a.get(confirmed.headers["location"], headers=HTML)
    assert "Imported" in after.text and "Import 14 creative-days" not in after.text

    events = spend_events(engine)
    assert len(events) == 14
    assert {campaign_id for campaign_id, _ in events} == {world.campaign_a}
    import_id = uploaded.headers["location"].rsplit("/", 1)[-1]
    assert {e.import_id for _, e in events} == {import_id}
    days = spend_days(engine, world.campaign_a)
    assert sum(days.values()) == Decimal("549.85")
    assert days[("video-a", date(2026, 11, 16))] == Decimal("31.12")
    assert as_analytics_sees_it(events) == days

    history = marketer_a.get(f"/campaigns/{world.slug_a}/spend-imports", headers=HTML)
    assert "meta_nl_days.csv" in history.text and "imported" in history.text


def test_console_shows_each_row_error_and_imports_nothing(
    marketer_a: TestClient, world: World, engine: Engine
) -> None:
    uploaded = upload_console(marketer_a, world.slug_a, "meta_nl_row_errors.csv")
    assert uploaded.status_code == 303
    preview = marketer_a.get(uploaded.headers["location"], headers=HTML).text
    assert "4 of 5 rows have an error, so nothing will be imported" in preview
    assert "Line 3 (Onbekende advertentie): No creative has the ad name" in preview
    assert (
        "Line 4 (Zorgmedewerker foto B): date: &#34;31-02-2026&#34; is not an existing date"
        in preview
    )
    assert "/confirm" not in preview  # no confirm button

    refused = marketer_a.post(
        uploaded.headers["location"] + "/confirm",
        data={"csrf_token": csrf(marketer_a)},
        headers=HTML,
    )
    assert refused.status_code == 422
    assert "nothing was imported" in refused.text
    assert spend_events(engine) == []
    assert count_rows(engine, platform_spend_days) == 0
    assert spend_days(engine, world.campaign_a) == {}


BAD_FILES = [
    ("empty.csv", None, 422, "file is empty"),
    ("meta_export.xlsx", None, 415, "Excel workbook"),
    ("binary_garbage.csv", None, 415, "does not contain readable text"),
    ("meta_nl_header_only.csv", None, 422, "no rows with figures"),
    ("unknown_columns.csv", None, 422, "could not find the column names"),
    (
        "huge.csv",
        b"Day,Ad name,Impressions,Link clicks,Amount spent (EUR)\n"
        + b"2026-11-16,Zorgmedewerker video A,1,1,1.00\n" * 460_000,  # about 20 MB
        413,
        "larger than 10 MB",
    ),
]


@pytest.mark.parametrize(("name", "data", "status", "says"), BAD_FILES)
def test_console_refuses_bad_files_with_a_friendly_page(
    marketer_a: TestClient,
    world: World,
    engine: Engine,
    name: str,
    data: bytes | None,
    status: int,
    says: str,
) -> None:
    response = upload_console(marketer_a, world.slug_a, name, data=data)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert says in response.text and "Nothing was imported." in response.text
    assert 'type="file"' in response.text  # the form again, to try another file
    assert count_rows(engine, spend_imports) == 0


@pytest.mark.parametrize(("name", "data", "status", "says"), BAD_FILES)
def test_api_refuses_bad_files_with_problem_details(
    marketer_a: TestClient,
    world: World,
    engine: Engine,
    name: str,
    data: bytes | None,
    status: int,
    says: str,
) -> None:
    response = upload_api(marketer_a, world.slug_a, name, data=data)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and says in body["detail"]
    assert count_rows(engine, spend_imports) == 0


def test_an_upload_without_a_file_is_a_4xx(marketer_a: TestClient, world: World) -> None:
    token = csrf(marketer_a)
    console = marketer_a.post(
        f"/campaigns/{world.slug_a}/spend-imports", data={"csrf_token": token}, headers=HTML
    )
    assert console.status_code == 422 and "No file was uploaded" in console.text
    api = marketer_a.post(
        f"/api/v1/campaigns/{world.slug_a}/spend-imports",
        data={"note": "no file"},
        headers={"X-CSRF-Token": token},
    )
    assert api.status_code == 422
    no_file_chosen = marketer_a.post(  # what a browser sends when no file was picked
        f"/campaigns/{world.slug_a}/spend-imports",
        data={"csrf_token": token},
        files={"file": ("", b"", "application/octet-stream")},
        headers=HTML,
    )
    assert 400 <= no_file_chosen.status_code < 500


# --- the API: upload answers with the preview; confirm by id ----------------------------


def test_api_upload_previews_and_confirm_imports_by_id(
    marketer_a: TestClient, world: World, engine: Engine
) -> None:
    uploaded = upload_api(marketer_a, world.slug_a, "linkedin_en_periods.csv")
    assert uploaded.status_code == 201
    preview = uploaded.json()
    assert (preview["platform"], preview["language"], preview["header_line"]) == (
        "linkedin",
        "en",
        7,
    )
    assert preview["status"] == "pending" and preview["importable"] is True
    assert [r["variant_id"] for r in preview["rows"]] == ["li-carousel", "li-text", "li-text"]
    assert len(preview["days"]) == 14

    again = marketer_a.get(f"/api/v1/campaigns/{world.slug_a}/spend-imports/{preview['id']}")
    assert again.json()["rows"] == preview["rows"]

    confirmed = confirm_api(marketer_a, world.slug_a, preview["id"])
    assert confirmed.status_code == 200
    assert confirmed.json()["events"] == 14
    assert confirmed.json()["spend_import"]["status"] == "confirmed"
    twice = confirm_api(marketer_a, world.slug_a, preview["id"])
    assert twice.status_code == 409
    assert len(spend_events(engine)) == 14

    listing = marketer_a.get(f"/api/v1/campaigns/{world.slug_a}/spend-imports").json()
    assert [(i["id"], i["status"]) for i in listing] == [(preview["id"], "confirmed")]
    with engine.connect() as conn:
        logged = audit.entries(
            conn, listing[0]["id"] and _tenant_of(engine, world), object_type="spend_import"
        )
    assert [e.action for e in logged] == ["spend_import.confirm", "spend_import.upload"]


def _tenant_of(engine: Engine, world: World) -> str:
    with engine.connect() as conn:
        campaign = repo.campaign_by_id(conn, world.campaign_a)
    assert campaign is not None
    return campaign.tenant_id


def test_api_confirm_of_a_file_with_row_errors_is_refused(
    marketer_a: TestClient, world: World, engine: Engine
) -> None:
    preview = upload_api(marketer_a, world.slug_a, "meta_nl_row_errors.csv").json()
    assert preview["error_count"] == 4 and preview["importable"] is False
    errors = [(r["line"], r["status"]) for r in preview["rows"] if r["status"] == "error"]
    assert errors == [(3, "error"), (4, "error"), (5, "error"), (6, "error")]
    refused = confirm_api(marketer_a, world.slug_a, preview["id"])
    assert refused.status_code == 422
    assert refused.json()["title"] == "This import cannot be confirmed"
    assert spend_events(engine) == [] and count_rows(engine, platform_spend_days) == 0


# --- re-importing replaces, never double counts -----------------------------------------


def test_reimporting_an_overlapping_period_replaces_those_days(
    marketer_a: TestClient, world: World, engine: Engine
) -> None:
    import_file(marketer_a, world.slug_a, "meta_nl_days.csv")  # 16-22 Nov, video-a and foto-b
    first = spend_events(engine)
    before = spend_days(engine, world.campaign_a)

    second_id = import_file(marketer_a, world.slug_a, "meta_nl_days_overlap.csv")  # 19-25 Nov
    events = spend_events(engine)
    new = events[len(first) :]
    # Meta's 19-25 Nov now says: video-a on every day, foto-b nothing. So 7 days of video-a
    # and foto-b's 4 replaced days (19-22 Nov), announced with zeros.
    assert sorted((e.variant_id, e.day.day) for _, e in new) == sorted(
        [("video-a", d) for d in range(19, 26)] + [("foto-b", d) for d in range(19, 23)]
    )
    assert {e.import_id for _, e in new} == {second_id}
    assert all(e.spend == 0 and e.impressions == 0 for _, e in new if e.variant_id == "foto-b")

    after = spend_days(engine, world.campaign_a)
    assert after[("video-a", date(2026, 11, 19))] == Decimal("40.00")
    assert after[("video-a", date(2026, 11, 18))] == before[("video-a", date(2026, 11, 18))]
    assert ("foto-b", date(2026, 11, 20)) not in after
    assert as_analytics_sees_it(events) == after

    # The same file once more changes nothing, however often it is imported.
    import_file(marketer_a, world.slug_a, "meta_nl_days_overlap.csv")
    assert spend_days(engine, world.campaign_a) == after
    assert as_analytics_sees_it(spend_events(engine)) == after


def test_another_platform_on_the_same_day_adds_up_and_survives_a_meta_reimport(
    marketer_a: TestClient, world: World, engine: Engine
) -> None:
    import_file(marketer_a, world.slug_a, "meta_nl_days.csv")
    meta_day = spend_days(engine, world.campaign_a)[("video-a", date(2026, 11, 16))]
    google = (
        b"Ad report\nNovember 16, 2026\n"
        b"Day,Ad name,Currency code,Cost,Impr.,Clicks\n"
        b"2026-11-16,Zorgmedewerker video A,EUR,10.00,100,5\n"
        b"Total: Account,--,EUR,10.00,100,5\n"
    )
    response = upload_api(marketer_a, world.slug_a, "google.csv", data=google)
    assert response.json()["platform"] == "google_ads"
    confirm_api(marketer_a, world.slug_a, response.json()["id"])
    combined = spend_days(engine, world.campaign_a)[("video-a", date(2026, 11, 16))]
    assert combined == meta_day + Decimal("10.00")
    assert spend_events(engine)[-1][1].spend == float(combined)

    import_file(marketer_a, world.slug_a, "meta_nl_days.csv")  # Meta again: Google's part stays
    assert spend_days(engine, world.campaign_a)[("video-a", date(2026, 11, 16))] == combined
    assert as_analytics_sees_it(spend_events(engine)) == spend_days(engine, world.campaign_a)


# --- tenants, roles, CSRF ----------------------------------------------------------------


def test_another_tenant_cannot_see_or_confirm_an_import(
    marketer_a: TestClient, other_client: TestClient, world: World, engine: Engine
) -> None:
    import_id = upload_api(marketer_a, world.slug_a, "meta_nl_days.csv").json()["id"]
    log_in(other_client, world.marketer_b, PASSWORD)
    token = csrf(other_client)
    for slug in (world.slug_a, world.slug_b):  # A's campaign, and B's own with A's import id
        base = f"/campaigns/{slug}/spend-imports/{import_id}"
        assert other_client.get(base, headers=HTML).status_code == 404
        assert other_client.get("/api/v1" + base).status_code == 404
        console = other_client.post(base + "/confirm", data={"csrf_token": token}, headers=HTML)
        assert console.status_code == 404
        api = other_client.post("/api/v1" + base + "/confirm", headers={"X-CSRF-Token": token})
        assert api.status_code == 404
    assert (
        other_client.get(f"/campaigns/{world.slug_a}/spend-imports", headers=HTML).status_code
        == 404
    )
    assert upload_api(other_client, world.slug_a, "meta_nl_days.csv").status_code == 404
    listing = other_client.get(f"/api/v1/campaigns/{world.slug_b}/spend-imports").json()
    assert listing == []
    assert spend_events(engine) == []


def test_a_viewer_sees_imports_but_cannot_upload_or_confirm(
    marketer_a: TestClient, other_client: TestClient, world: World, engine: Engine
) -> None:
    import_id = upload_api(marketer_a, world.slug_a, "meta_nl_days.csv").json()["id"]
    log_in(other_client, world.viewer_a, PASSWORD)
    form = other_client.get(f"/campaigns/{world.slug_a}/spend-imports", headers=HTML)
    assert form.status_code == 200 and 'type="file"' not in form.text
    preview = other_client.get(f"/campaigns/{world.slug_a}/spend-imports/{import_id}", headers=HTML)
    assert preview.status_code == 200 and "/confirm" not in preview.text
    assert (
        other_client.get(f"/api/v1/campaigns/{world.slug_a}/spend-imports/{import_id}").status_code
        == 200
    )

    assert upload_console(other_client, world.slug_a, "meta_nl_days.csv").status_code == 403
    assert upload_api(other_client, world.slug_a, "meta_nl_days.csv").status_code == 403
    token = csrf(other_client)
    confirm = other_client.post(
        f"/campaigns/{world.slug_a}/spend-imports/{import_id}/confirm",
        data={"csrf_token": token},
        headers=HTML,
    )
    assert confirm.status_code == 403
    assert confirm_api(other_client, world.slug_a, import_id).status_code == 403
    assert spend_events(engine) == [] and count_rows(engine, spend_imports) == 1


def test_console_forms_and_api_calls_without_csrf_token_are_refused(
    marketer_a: TestClient, world: World, engine: Engine
) -> None:
    assert upload_console(marketer_a, world.slug_a, "meta_nl_days.csv", token="").status_code == 403
    assert (
        upload_console(marketer_a, world.slug_a, "meta_nl_days.csv", token="forged").status_code
        == 403
    )
    no_header = marketer_a.post(
        f"/api/v1/campaigns/{world.slug_a}/spend-imports",
        files={"file": ("meta_nl_days.csv", (FIXTURES / "meta_nl_days.csv").read_bytes())},
    )
    assert no_header.status_code == 403
    assert count_rows(engine, spend_imports) == 0

    import_id = upload_api(marketer_a, world.slug_a, "meta_nl_days.csv").json()["id"]
    url = f"/campaigns/{world.slug_a}/spend-imports/{import_id}/confirm"
    assert marketer_a.post(url, data={}, headers=HTML).status_code == 403
    assert marketer_a.post("/api/v1" + url).status_code == 403
    assert marketer_a.get(url, headers=HTML).status_code in (404, 405)  # no state change by GET
    assert spend_events(engine) == []


def test_two_overlapping_imports_confirmed_at_once_both_land_in_order(
    marketer_a: TestClient, world: World, engine: Engine
) -> None:
    first = upload_api(marketer_a, world.slug_a, "meta_nl_days.csv").json()["id"]
    second = upload_api(marketer_a, world.slug_a, "meta_nl_days_overlap.csv").json()["id"]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def confirm(import_id: str) -> None:
        start.wait()
        try:
            with transaction(engine) as conn:
                campaign = repo.campaign_by_id(conn, world.campaign_a)
                assert campaign is not None
                import_service.confirm_import(
                    conn, campaign=campaign, import_id=import_id, actor="test", now=NOW
                )
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=confirm, args=(i,)) for i in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    # Whichever went first, the days both files cover hold the later one's figures, and
    # what analytics folds from the outbox is exactly what is stored.
    stored = spend_days(engine, world.campaign_a)
    assert as_analytics_sees_it(spend_events(engine)) == stored
    assert stored[("video-a", date(2026, 11, 25))] == Decimal("40.60")
