"""Issue 12, class 14 (landing): a form opened before a campaign was paused or ended
cannot post after it. The submission is checked against the campaign's state at submit
time, in the transaction that would store it, and answered with a clear page ("this
vacancy is closed"); the thank-you page and withdrawing consent keep working.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from koers.events import CampaignPaused
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


@pytest.fixture
def database_url(make_migrated_database_url: Callable[[str], str]) -> str:
    return make_migrated_database_url("landing")


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[LandingApp]:
    with landing_app(database_url, tmp_path) as app:
        app.publish(campaign())
        yield app


def _send(site: LandingApp, entry_point: str, token: str) -> Any:
    if entry_point == "lead":
        return site.client.post(f"/j/{SLUG}/lead", data=lead_data(token), follow_redirects=False)
    if entry_point == "apply":
        return site.client.post(
            f"/j/{SLUG}/apply",
            data=apply_data(token),
            files={"cv": ("cv.pdf", minimal_pdf(), "application/pdf")},
            follow_redirects=False,
        )
    return site.client.post(
        f"/j/{SLUG}/quiz", data={"form_token": token, "q0": "0", "q1": "0"}, follow_redirects=False
    )


def _stored(site: LandingApp, entry_point: str) -> int:
    return site.count(quiz_results if entry_point == "quiz" else leads)


@pytest.mark.parametrize("entry_point", ["lead", "apply", "quiz"])
def test_a_form_opened_before_a_pause_cannot_post_after_it(
    site: LandingApp, entry_point: str
) -> None:
    token = site.open_form(entry_point)
    site.publish(CampaignPaused(slug=SLUG))

    response = _send(site, entry_point, token)

    assert response.status_code == 410
    assert "Deze vacature is gesloten" in response.text
    assert _stored(site, entry_point) == 0


@pytest.mark.parametrize("entry_point", ["lead", "apply", "quiz"])
def test_a_form_opened_before_the_campaign_ended_cannot_post_after_it(
    database_url: str, tmp_path: Path, entry_point: str
) -> None:
    with landing_app(database_url, tmp_path) as site:
        site.publish(campaign(version=1).model_copy(update={"ends_on": site.clock().date()}))
        token = site.open_form(entry_point)
        site.clock.advance(days=1)

        response = _send(site, entry_point, token)

        assert response.status_code == 410
        assert _stored(site, entry_point) == 0


@pytest.mark.parametrize("entry_point", ["lead", "apply", "quiz"])
def test_the_pause_counts_even_while_the_page_is_remembered(
    database_url: str, tmp_path: Path, entry_point: str
) -> None:
    """Pages are cached for a while; the state is checked where the lead is stored."""
    with landing_app(database_url, tmp_path, page_cache_seconds=3600) as site:
        site.publish(campaign())
        first = _send(site, entry_point, site.open_form(entry_point))
        assert first.status_code == 303  # the page is now remembered as published
        token = site.open_form(entry_point)
        site.publish(CampaignPaused(slug=SLUG))

        response = _send(site, entry_point, token)

        assert response.status_code == 410
        assert _stored(site, entry_point) == 1


def test_after_a_pause_the_candidate_can_still_read_thanks_and_withdraw(
    site: LandingApp,
) -> None:
    sent = _send(site, "lead", site.open_form("lead"))
    thanks_url = sent.headers["location"]
    site.publish(CampaignPaused(slug=SLUG))

    thanks = site.client.get(thanks_url)
    withdraw_href = re.search(r'class="withdraw-link" href="([^"]+)"', thanks.text)
    assert thanks.status_code == 200 and withdraw_href
    receipt = re.search(r"[?&]r=([^&]+)", withdraw_href.group(1).replace("&amp;", "&"))
    assert receipt
    withdrawn = site.client.post(f"/j/{SLUG}/withdraw", data={"r": receipt.group(1)})

    assert withdrawn.status_code == 200
    assert site.count(leads) == 0


def test_a_repeated_send_of_a_form_stored_before_the_pause_still_gets_its_thanks(
    site: LandingApp,
) -> None:
    token = site.open_form("lead")
    first = _send(site, "lead", token)
    site.publish(CampaignPaused(slug=SLUG))

    again = _send(site, "lead", token)

    assert first.status_code == 303
    assert again.status_code in (303, 410)
    assert site.count(leads) == 1
