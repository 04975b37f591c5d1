"""Class 12: concurrent writes of one campaign never silently undo each other.

A page save (or an edit) works on the campaign as it was read; if a publish or pause
lands between that read and the write, the old code wrote the stale status back and the
pause was undone without anyone noticing. Now the stale write is refused (409, telling
the marketer to reload); the forms carry the version they were loaded with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from threading import Barrier
from typing import Any

import pytest
from campaigns_security_kit import HTML, NOW, add_tenant, add_user, csrf_from, login, make_app
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.catalog import service
from campaigns.catalog.domain import Variant
from campaigns.catalog.inputs import PageInput
from campaigns.demo import DEMO_PAGE
from koers.db import make_engine, transaction
from koers.web import Conflict
from tests.support import campaigns_use_cases as service_layer

pytestmark = [pytest.mark.security, pytest.mark.integration]

OWNER = "owner@werkgever.example"
SLUG = "monteur-utrecht"


@dataclass
class Scene:
    engine: Engine
    app: FastAPI
    tenant_id: str


@pytest.fixture
def scene(make_migrated_database_url: Callable[[str], str], tmp_path: Path) -> Iterator[Scene]:
    url = make_migrated_database_url("campaigns")
    engine = make_engine(url)
    tenant_id = add_tenant(engine, "Werkgever")
    add_user(engine, tenant_id, OWNER)
    with transaction(engine) as conn:
        service_layer.create_campaign(
            conn,
            tenant_id=tenant_id,
            new=service_layer.NewCampaign(
                slug=SLUG,
                name="Monteur Utrecht",
                vacancy_title="Monteur",
                goal="lead",
                weekly_budget=Decimal("500.00"),
                page={**DEMO_PAGE, "employer_name": "Werkgever"},
                variants=(Variant("ig", "Reel", "instagram", "video", "Hook", ad_key="ig-1"),),
            ),
            actor=OWNER,
            now=NOW,
        )
        service_layer.publish(conn, tenant_id=tenant_id, slug=SLUG, actor=OWNER, now=NOW)
    yield Scene(engine, make_app(url, tmp_path), tenant_id)
    engine.dispose()


def _read(scene: Scene) -> Any:
    with scene.engine.connect() as conn:
        return service.get_campaign(conn, scene.tenant_id, SLUG)


def _page(headline: str) -> PageInput:
    return PageInput.model_validate(
        {**DEMO_PAGE, "employer_name": "Werkgever", "headline": headline}
    )


def test_two_concurrent_writers_never_silently_undo_each_other(scene: Scene) -> None:
    """A page save and a pause, each based on the same read, race for the write."""
    assert _read(scene).status == "live"
    both_read = Barrier(2)

    def save_page() -> str:
        campaign = _read(scene)  # as the route's dependency reads it, before the write
        both_read.wait(timeout=30)
        try:
            with transaction(scene.engine) as conn:
                service.save_page(
                    conn, campaign=campaign, data=_page("Nieuwe kop"), actor=OWNER, now=NOW
                )
        except Conflict:
            return "refused"
        return "saved"

    def pause() -> str:
        campaign = _read(scene)
        both_read.wait(timeout=30)
        try:
            with transaction(scene.engine) as conn:
                service.transition(conn, campaign=campaign, to="paused", actor=OWNER, now=NOW)
        except Conflict:
            return "refused"
        return "paused"

    with ThreadPoolExecutor(2) as pool:
        saved, paused = pool.submit(save_page), pool.submit(pause)
        outcomes = (saved.result(timeout=60), paused.result(timeout=60))
    final = _read(scene)
    if outcomes[1] == "paused":
        assert final.status == "paused", f"the pause was silently undone: {outcomes}"
    if outcomes[0] == "saved":
        assert final.page["headline"] == "Nieuwe kop", f"the page save was lost: {outcomes}"
    assert "refused" in outcomes, f"both stale writes were applied: {outcomes}"


def test_a_save_after_a_pause_that_landed_meanwhile_is_refused(scene: Scene) -> None:
    """The interleaving made certain: read, someone pauses, then the stale write."""
    stale = _read(scene)
    with transaction(scene.engine) as conn:
        service.transition(conn, campaign=_read(scene), to="paused", actor=OWNER, now=NOW)
    with pytest.raises(Conflict), transaction(scene.engine) as conn:
        service.save_page(conn, campaign=stale, data=_page("Oude kop"), actor=OWNER, now=NOW)
    assert _read(scene).status == "paused"


def test_a_form_loaded_before_a_pause_gets_a_409_telling_to_reload(scene: Scene) -> None:
    with TestClient(scene.app) as marketer, TestClient(scene.app) as colleague:
        assert login(marketer, OWNER).status_code == 303
        assert login(colleague, OWNER).status_code == 303
        builder = marketer.get(f"/campaigns/{SLUG}/page", headers=HTML).text
        form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', builder))
        assert "version" in form
        detail = colleague.get(f"/campaigns/{SLUG}", headers=HTML).text
        paused = colleague.post(
            f"/campaigns/{SLUG}/status",
            data={
                "csrf_token": csrf_from(detail),
                "to": "paused",
                "version": re.findall(r'name="version" value="(\d+)"', detail)[0],
            },
            headers=HTML,
            follow_redirects=False,
        )
        assert paused.status_code == 303
        stale = marketer.post(
            f"/campaigns/{SLUG}/page",
            data={**form, "employer_name": "Werkgever", "headline": "Kop", "entry_points": "lead"},
            headers=HTML,
            follow_redirects=False,
        )
        assert stale.status_code == 409
        assert "Reload the page" in stale.text
    assert _read(scene).status == "paused"
