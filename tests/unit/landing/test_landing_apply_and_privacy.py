"""Applying with a CV; the thank-you page and withdrawing consent; the console's API
(tenant-scoped lists, status, CV download, export, erasure); and the retention job."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from landing_support import (
    SERVICE_TOKEN,
    FrozenClock,
    apply_event,
    campaign,
    entry_links,
    form_token,
    minimal_docx,
    minimal_pdf,
    outbox,
)

from koers.events import CampaignPublished
from landing.config import Settings
from landing.privacy.service import Privacy
from landing.submissions.cvstore import FolderCvStore
from landing.submissions.repository import applications, leads, quiz_results

pytestmark = pytest.mark.unit

AUTH = {"authorization": f"Bearer {SERVICE_TOKEN}"}
SLUG = "/j/klantenservice-utrecht"


def count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def apply(
    client: TestClient,
    *,
    cv: tuple[str, bytes] | None = ("cv.pdf", b""),
    email: str = "sanne@example.nl",
    query: str = "",
    **extra: str,
) -> object:
    page = client.get(f"{SLUG}{query}")
    token = form_token(client.get(entry_links(page.text)["apply"]).text)
    files = None
    if cv is not None:
        name, data = cv
        files = {"cv": (name, data or minimal_pdf(), "application/octet-stream")}
    data = {
        "form_token": token,
        "name": "Sanne de Vries",
        "email": email,
        "phone": "06 12345678",
        "motivation": "Ik help graag mensen.",
        "consent": "yes",
        **extra,
    }
    return client.post(f"{SLUG}/apply", data=data, files=files)


def cv_files(settings: Settings) -> list[Path]:
    return sorted(settings.cv_dir.glob("*")) if settings.cv_dir.exists() else []


# --- apply -------------------------------------------------------------------------------


def test_an_application_keeps_its_cv_outside_the_web_root_under_a_random_name(
    client: TestClient, published: CampaignPublished, engine: sa.Engine, settings: Settings
) -> None:
    docx = minimal_docx()
    response = apply(client, cv=("Mijn CV (2025).docx", docx), talent_pool="yes")

    assert response.status_code == 200  # type: ignore[attr-defined]
    [stored] = cv_files(settings)
    assert re.fullmatch(r"[0-9a-f]{32}\.cv", stored.name)
    assert stored.read_bytes() == docx
    assert stored.stat().st_mode & 0o077 == 0
    with engine.connect() as conn:
        [application] = conn.execute(sa.select(applications)).all()
        [lead] = conn.execute(sa.select(leads)).all()
    assert application.cv_file == stored.name
    assert application.cv_filename == "Mijn CV (2025).docx"
    assert application.cv_kind == "docx"
    assert application.motivation == "Ik help graag mensen."
    assert lead.talent_pool is True
    assert "andere passende vacatures" in lead.consent_text
    assert client.get(f"/static/../{stored.name}").status_code == 404


@pytest.mark.parametrize(
    ("cv", "message"),
    [
        (("cv.pdf", b"MZ\x90\x00" + b"\x00" * 64), "Dit bestand is een programma"),
        (("cv.docx", minimal_pdf()), "De naam van het bestand past niet"),
        (("cv.docx", minimal_docx({"../../x": b"<a/>"})), "ongebruikelijk in elkaar"),
        (None, "Voeg je cv toe"),
    ],
)
def test_a_refused_cv_shows_why_and_stores_nothing(
    client: TestClient,
    published: CampaignPublished,
    engine: sa.Engine,
    settings: Settings,
    cv: tuple[str, bytes] | None,
    message: str,
) -> None:
    response = apply(client, cv=cv)

    assert response.status_code == 422  # type: ignore[attr-defined]
    assert message in response.text  # type: ignore[attr-defined]
    assert 'value="Sanne de Vries"' in response.text  # type: ignore[attr-defined]
    assert count(engine, leads) == count(engine, applications) == 0
    assert cv_files(settings) == []
    assert outbox(engine, "ApplicationSubmitted") == []


def test_a_double_submitted_application_keeps_one_cv(
    client: TestClient, published: CampaignPublished, engine: sa.Engine, settings: Settings
) -> None:
    page = client.get(SLUG)
    token = form_token(client.get(entry_links(page.text)["apply"]).text)
    data = {
        "form_token": token,
        "name": "S",
        "email": "s@example.nl",
        "phone": "0612345678",
        "consent": "yes",
    }
    for _ in range(2):
        client.post(f"{SLUG}/apply", data=data, files={"cv": ("cv.pdf", minimal_pdf())})

    assert count(engine, leads) == count(engine, applications) == 1
    assert len(cv_files(settings)) == 1


# --- thank you and withdrawal ---------------------------------------------------------------


def test_thanks_page_promises_a_time_and_withdrawing_erases_everything(
    client: TestClient, published: CampaignPublished, engine: sa.Engine, settings: Settings
) -> None:
    thanks = apply(client)
    text = thanks.text  # type: ignore[attr-defined]
    assert "binnen 2 werkdagen" in text and "mailt je" in text
    withdraw_href = re.search(r'href="([^"]*/withdraw[^"]*)"', text)
    assert withdraw_href

    confirm = client.get(withdraw_href.group(1).replace("&amp;", "&"))
    assert confirm.status_code == 200
    done = client.post(
        f"{SLUG}/withdraw?lang=nl",
        data={"r": re.search(r'name="r" value="([^"]+)"', confirm.text).group(1)},  # type: ignore[union-attr]
    )

    assert "Je gegevens zijn verwijderd" in done.text
    assert count(engine, leads) == count(engine, applications) == 0
    assert cv_files(settings) == []
    assert outbox(engine, "LeadSubmitted") == outbox(engine, "ApplicationSubmitted") == []
    assert client.post(f"{SLUG}/withdraw", data={"r": "forged"}).status_code == 400


# --- the console's API ---------------------------------------------------------------------


def test_api_lists_per_tenant_and_campaign_with_filters(
    client: TestClient, published: CampaignPublished, engine: sa.Engine, clock: FrozenClock
) -> None:
    apply(client)
    clock.advance(minutes=1)
    page = client.get(f"{SLUG}?v=v-video")
    token = form_token(client.get(entry_links(page.text)["lead"]).text)
    client.post(
        f"{SLUG}/lead",
        data={
            "form_token": token,
            "name": "Lead",
            "phone": "0612345678",
            "contact_channel": "phone",
            "consent": "yes",
        },
    )
    base = "/internal/v1/tenants/acme/campaigns/cmp-1"

    everything = client.get(f"{base}/leads", headers=AUTH).json()
    applied = client.get(f"{base}/applications", headers=AUTH).json()
    by_variant = client.get(f"{base}/leads?variant_id=v-video", headers=AUTH).json()
    other_tenant = client.get("/internal/v1/tenants/other/campaigns/cmp-1/leads", headers=AUTH)
    bad_filter = client.get(f"{base}/leads?status=nonsense", headers=AUTH)

    assert everything["total"] == 2
    assert [i["entry_point"] for i in everything["items"]] == ["lead", "apply"]
    assert applied["total"] == 1
    assert applied["items"][0]["application"]["has_cv"] is True
    assert by_variant["total"] == 1 and by_variant["items"][0]["name"] == "Lead"
    assert other_tenant.json()["total"] == 0
    assert bad_filter.status_code == 422
    assert bad_filter.headers["content-type"] == "application/problem+json"


def test_api_downloads_a_cv_and_changes_a_status(
    client: TestClient, published: CampaignPublished
) -> None:
    apply(client, cv=("cv.pdf", minimal_pdf("Sanne")))
    [item] = client.get(
        "/internal/v1/tenants/acme/campaigns/cmp-1/applications", headers=AUTH
    ).json()["items"]
    lead_url = f"/internal/v1/tenants/acme/leads/{item['lead_id']}"

    cv = client.get(f"{lead_url}/cv", headers=AUTH)
    foreign = client.get(f"/internal/v1/tenants/other/leads/{item['lead_id']}/cv", headers=AUTH)
    unauthenticated = client.get(f"{lead_url}/cv")
    changed = client.patch(lead_url, json={"status": "rejected"}, headers=AUTH)
    invalid = client.patch(lead_url, json={"status": "fired"}, headers=AUTH)

    assert cv.status_code == 200
    assert cv.content == minimal_pdf("Sanne")
    assert cv.headers["content-type"] == "application/pdf"
    assert cv.headers["content-disposition"].startswith("attachment")
    assert foreign.status_code == 404 and unauthenticated.status_code == 401
    assert changed.json()["status"] == "rejected"
    assert changed.json()["procedure_ended_at"] is not None
    assert invalid.status_code == 422


def test_export_gives_everything_about_a_candidate_and_erasure_removes_it(
    client: TestClient, published: CampaignPublished, engine: sa.Engine, settings: Settings
) -> None:
    # The candidate takes the quiz, then applies from its result page.
    quiz = client.get(entry_links(client.get(SLUG).text)["quiz"])
    result = client.post(
        f"{SLUG}/quiz", data={"form_token": form_token(quiz.text), "q0": "0", "q1": "0"}
    )
    apply_link = re.search(r'href="(/j/klantenservice-utrecht/apply[^"]+)"', result.text)
    assert apply_link
    form = client.get(apply_link.group(1).replace("&amp;", "&"))
    client.post(
        f"{SLUG}/apply",
        data={
            "form_token": form_token(form.text),
            "name": "Sanne",
            "email": "Sanne@Example.nl",
            "phone": "0612345678",
            "consent": "yes",
        },
        files={"cv": ("cv.pdf", minimal_pdf())},
    )
    url = "/internal/v1/tenants/acme/candidates"

    exported = client.post(f"{url}/export", json={"email": "sanne@example.nl"}, headers=AUTH)
    wrong_tenant = client.post(
        "/internal/v1/tenants/other/candidates/erase",
        json={"email": "sanne@example.nl"},
        headers=AUTH,
    )
    erased = client.post(f"{url}/erase", json={"phone": "+31 6 12345678"}, headers=AUTH)
    nothing = client.post(f"{url}/erase", json={}, headers=AUTH)

    [candidate] = exported.json()["candidates"]
    assert candidate["name"] == "Sanne"
    assert candidate["quiz"]["score"] == 10
    assert candidate["quiz"]["answers"][1]["answer"] == "Ja"
    assert candidate["application"]["cv_kind"] == "pdf"
    assert wrong_tenant.json()["leads"] == 0
    assert erased.json()["leads"] == 1 and erased.json()["cv_files"] == 1
    assert erased.json()["outbox_rows"] == 2  # LeadSubmitted and ApplicationSubmitted
    assert count(engine, leads) == count(engine, applications) == count(engine, quiz_results) == 0
    assert cv_files(settings) == []
    assert nothing.status_code == 422


# --- retention (frozen clock) --------------------------------------------------------------


def _lead_with_status(
    client: TestClient, clock: FrozenClock, status: str | None, **change: object
) -> str:
    page = client.get(SLUG)
    token = form_token(client.get(entry_links(page.text)["lead"]).text)
    response = client.post(
        f"{SLUG}/lead",
        data={
            "form_token": token,
            "name": "Kandidaat",
            "email": f"{uuid.uuid4().hex[:8]}@example.nl",
            "contact_channel": "email",
            "consent": "yes",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    clock.advance(minutes=1)
    [item] = client.get(
        "/internal/v1/tenants/acme/campaigns/cmp-1/leads?limit=1", headers=AUTH
    ).json()["items"]
    if status is not None:
        client.patch(
            f"/internal/v1/tenants/acme/leads/{item['lead_id']}",
            json={"status": status, **change},
            headers=AUTH,
        )
    return str(item["lead_id"])


def remaining(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return {str(i) for i in conn.execute(sa.select(leads.c.lead_id)).scalars()}


def test_rejected_candidates_go_4_weeks_after_the_procedure_ended(
    client: TestClient,
    published: CampaignPublished,
    engine: sa.Engine,
    clock: FrozenClock,
    settings: Settings,
) -> None:
    rejected = _lead_with_status(client, clock, "rejected")
    pool = _lead_with_status(client, clock, "new")
    with engine.begin() as conn:  # this one consented to the talent pool
        conn.execute(
            sa.update(leads)
            .where(leads.c.lead_id == uuid.UUID(pool))
            .values(talent_pool=True, status="rejected", procedure_ended_at=clock.now)
        )
    privacy = Privacy(engine, FolderCvStore(settings.cv_dir), clock)

    clock.advance(days=27)
    assert privacy.run_retention().total_leads == 0
    assert remaining(engine) == {rejected, pool}
    clock.advance(days=2)  # day 29
    report = privacy.run_retention()
    assert report.erased == {"rejected_procedure_ended": 1}
    assert remaining(engine) == {pool}
    assert privacy.run_retention().total_leads == 0  # a second run deletes nothing more


def test_consent_is_kept_at_most_a_year(
    client: TestClient,
    published: CampaignPublished,
    engine: sa.Engine,
    clock: FrozenClock,
    settings: Settings,
) -> None:
    kept = _lead_with_status(client, clock, None)
    privacy = Privacy(engine, FolderCvStore(settings.cv_dir), clock)

    clock.advance(days=364)
    assert privacy.run_retention().total_leads == 0
    assert remaining(engine) == {kept}
    clock.advance(days=2)  # day 366
    assert privacy.run_retention().erased == {"consent_expired": 1}
    assert remaining(engine) == set()
    assert privacy.run_retention().total_leads == 0


def test_withdrawn_consent_is_erased_at_the_next_run(
    client: TestClient,
    published: CampaignPublished,
    engine: sa.Engine,
    clock: FrozenClock,
    settings: Settings,
) -> None:
    withdrawn = _lead_with_status(client, clock, "contacted", consent_withdrawn=True)
    other = _lead_with_status(client, clock, "contacted")
    privacy = Privacy(engine, FolderCvStore(settings.cv_dir), clock)

    assert privacy.run_retention().erased == {"consent_withdrawn": 1}
    assert remaining(engine) == {other}
    assert withdrawn not in str(outbox(engine))


def test_retention_sweeps_orphan_cv_files_and_old_salts(
    published: CampaignPublished,
    engine: sa.Engine,
    clock: FrozenClock,
    settings: Settings,
    client: TestClient,
) -> None:
    import io
    import os

    store = FolderCvStore(settings.cv_dir)
    orphan = store.save(io.BytesIO(b"%PDF-1.7 left by a crash"))
    path = store.path(orphan)
    assert path is not None
    long_ago = (clock.now - timedelta(days=1)).timestamp()
    os.utime(path, (long_ago, long_ago))
    apply(client)  # a CV a row points at
    client.get(SLUG)  # makes today's salt
    privacy = Privacy(engine, store, lambda: clock.now + timedelta(days=3))

    report = privacy.run_retention()

    assert report.orphan_cv_files == 1 and report.visitor_salts == 1
    assert store.path(orphan) is None
    assert len(cv_files(settings)) == 1


def test_the_retention_command_runs(
    published: CampaignPublished, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from landing.cli import app

    monkeypatch.setenv("KOERS_LANDING_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KOERS_LANDING_CV_DIR", str(settings.cv_dir))
    result = CliRunner().invoke(app, ["retention"])

    assert result.exit_code == 0, result.output
    assert "retention: erased 0 candidate(s)" in result.output


def test_apply_other_tenant_campaign_is_not_listed(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    apply_event(engine, campaign(slug="magazijn"), campaign_id="cmp-2", tenant_id="other")
    page = client.get("/j/magazijn")
    token = form_token(client.get(entry_links(page.text)["lead"]).text)
    client.post(
        "/j/magazijn/lead",
        data={
            "form_token": token,
            "name": "X",
            "phone": "0612345678",
            "contact_channel": "phone",
            "consent": "yes",
        },
    )

    assert (
        client.get("/internal/v1/tenants/acme/campaigns/cmp-2/leads", headers=AUTH).json()["total"]
        == 0
    )
    assert (
        client.get("/internal/v1/tenants/other/campaigns/cmp-2/leads", headers=AUTH).json()["total"]
        == 1
    )
