"""Issue 12, class 11: the bot timing check is measured from when the FORM was served,
not from the first visit, on every entry point (quiz, lead, apply); and a form token
counts once however often it is sent.

The attack: open the landing page once, wait, then use its visit token to open form
after form and send each at once. Measured from the visit, every one of them looked
slow enough to be a person.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from koers.messaging.schema import outbox_table
from landing.submissions.repository import leads, quiz_results
from tests.support.landing_app import (
    SLUG,
    LandingApp,
    apply_data,
    campaign,
    landing_app,
    lead_data,
    minimal_pdf,
)

pytestmark = [pytest.mark.security, pytest.mark.integration]

MIN_FILL_SECONDS = 3.0


@pytest.fixture
def site(make_migrated_database_url: Callable[[str], str], tmp_path: Path) -> Iterator[LandingApp]:
    with landing_app(
        make_migrated_database_url("landing"), tmp_path, min_fill_seconds=MIN_FILL_SECONDS
    ) as app:
        app.publish(campaign())
        yield app


def _visit_token(site: LandingApp) -> str:
    page = site.client.get(f"/j/{SLUG}")
    match = re.search(r'data-entry="lead" href="[^"]*[?&;]visit=([^&"]+)', page.text)
    assert match, "the landing page has no visit token in its links"
    return match.group(1)


def _send(site: LandingApp, entry_point: str, token: str) -> Any:
    if entry_point == "lead":
        data = lead_data(token)
        return site.client.post(f"/j/{SLUG}/lead", data=data, follow_redirects=False)
    if entry_point == "apply":
        return site.client.post(
            f"/j/{SLUG}/apply",
            data=apply_data(token),
            files={"cv": ("cv.pdf", minimal_pdf(), "application/pdf")},
            follow_redirects=False,
        )
    return site.client.post(
        f"/j/{SLUG}/quiz",
        data={"form_token": token, "q0": "0", "q1": "0"},
        follow_redirects=False,
    )


def _table(entry_point: str) -> sa.Table:
    return quiz_results if entry_point == "quiz" else leads


@pytest.mark.parametrize("entry_point", ["lead", "apply", "quiz"])
def test_a_visit_token_reused_for_fast_submissions_is_refused(
    site: LandingApp, entry_point: str
) -> None:
    visit = _visit_token(site)
    site.clock.advance(minutes=10)  # the visit is old: a person could have typed by now

    answers = []
    for _ in range(5):
        token = site.open_form(entry_point, visit=visit)
        answers.append(_send(site, entry_point, token).status_code)

    assert answers == [422] * 5
    assert site.count(_table(entry_point)) == 0


@pytest.mark.parametrize("entry_point", ["lead", "apply", "quiz"])
def test_a_form_sent_after_a_person_could_fill_it_counts_once_however_often_sent(
    site: LandingApp, entry_point: str
) -> None:
    token = site.open_form(entry_point, visit=_visit_token(site))
    too_fast = _send(site, entry_point, token)
    site.clock.advance(seconds=MIN_FILL_SECONDS + 1)

    answers = [_send(site, entry_point, token).status_code for _ in range(3)]

    assert too_fast.status_code == 422
    assert answers == [303] * 3
    assert site.count(_table(entry_point)) == 1
    completed = {"lead": "LeadSubmitted", "apply": "ApplicationSubmitted", "quiz": "QuizCompleted"}
    assert _events(site).count(completed[entry_point]) == 1


def _events(site: LandingApp) -> list[str]:
    with site.engine.connect() as conn:
        values = conn.execute(sa.select(outbox_table.c.value)).scalars()
        return [json.loads(value)["type"] for value in values]
