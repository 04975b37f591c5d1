"""Issue 12, class 5: one bad submission never costs another candidate's lead.

Every text a candidate form takes (lead, apply, quiz, the GDPR requests) is checked
against what both databases accept (no NUL or other control characters, no lone
surrogates, lengths that fit the columns) and refused with a 4xx that names the field;
and when a shared lead commit still fails on one member's data, the others are stored.
Runs on SQLite and, with ``KOERS_TEST_DATABASE_URL``, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from koers.messaging.schema import outbox_table
from landing.errors import CandidatePageError
from landing.pages.repository import PublishedPage, find_page_by_slug
from landing.submissions.domain import ValidLead
from landing.submissions.repository import leads, quiz_results
from landing.submissions.service import Journeys
from landing.submissions.tokens import FormGrant, TokenSigner
from tests.support.event_loop import run_in_own_loop
from tests.support.landing_app import (
    SERVICE_TOKEN,
    SLUG,
    TENANT_ID,
    LandingApp,
    apply_data,
    campaign,
    landing_app,
    lead_data,
    minimal_pdf,
)

pytestmark = [pytest.mark.security, pytest.mark.integration]

# "İ" lower-cases to two code points: 205 characters as typed, 405 once the domain is
# normalised, longer than the e-mail column (254).
LONGER_ONCE_NORMALISED = "a@" + "İ" * 200 + ".nl"


@pytest.fixture
def site(make_migrated_database_url: Callable[[str], str], tmp_path: Path) -> Iterator[LandingApp]:
    with landing_app(make_migrated_database_url("landing"), tmp_path) as app:
        app.publish(campaign())
        yield app


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Sanne\x00de Vries"),
        ("name", "Sanne\x1bde Vries"),
        ("name", "Sanne\x9bde Vries"),
        ("email", "sanne\x00@example.nl"),
        ("email", LONGER_ONCE_NORMALISED),
        ("phone", "06\x0012345678"),
    ],
)
def test_a_lead_field_the_databases_cannot_hold_is_refused_by_name(
    site: LandingApp, field: str, value: str
) -> None:
    token = site.open_form("lead")

    response = site.client.post(
        f"/j/{SLUG}/lead",
        data=lead_data(token, **{field: value}),
        follow_redirects=False,
    )

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert site.count(leads) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Sanne\x00"), ("motivation", "Ik wil\x00graag"), ("email", "s\x00@example.nl")],
)
def test_an_application_field_the_databases_cannot_hold_is_refused_by_name(
    site: LandingApp, field: str, value: str
) -> None:
    token = site.open_form("apply")

    response = site.client.post(
        f"/j/{SLUG}/apply",
        data=apply_data(token, **{field: value}),
        files={"cv": ("cv.pdf", minimal_pdf(), "application/pdf")},
        follow_redirects=False,
    )

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert site.count(leads) == 0


def test_a_motivation_keeps_its_line_breaks_and_tabs(site: LandingApp) -> None:
    token = site.open_form("apply")

    response = site.client.post(
        f"/j/{SLUG}/apply",
        data=apply_data(token, motivation="Beste Acme,\r\n\tIk wil graag."),
        files={"cv": ("cv.pdf", minimal_pdf(), "application/pdf")},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert site.count(leads) == 1


@pytest.mark.parametrize("answer", ["²", "\x00", "1\x00", "\u0660"])
def test_a_quiz_answer_that_is_no_option_is_asked_again_not_an_error(
    site: LandingApp, answer: str
) -> None:
    token = site.open_form("quiz")

    response = site.client.post(
        f"/j/{SLUG}/quiz", data={"form_token": token, "q0": answer, "q1": "0"}
    )
    stepped = site.client.post(
        f"/j/{SLUG}/quiz", data={"form_token": token, "q0": "0", "step": answer}
    )

    assert response.status_code == 422
    assert stepped.status_code in (200, 422)
    assert site.count(quiz_results) == 0


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("email", '"sanne\\u0000@example.nl"'),
        ("email", '"\\ud800sanne@example.nl"'),
        ("phone", '"06\\u000012345678"'),
        ("lead_id", '"\\ud800"'),
    ],
)
@pytest.mark.parametrize("action", ["export", "erase"])
def test_a_privacy_request_with_characters_no_database_holds_is_a_422_naming_the_field(
    site: LandingApp, field: str, raw: str, action: str
) -> None:
    response = site.client.post(
        f"/internal/v1/tenants/{TENANT_ID}/candidates/{action}",
        content=f'{{"{field}": {raw}}}'.encode(),
        headers={
            "authorization": f"Bearer {SERVICE_TOKEN}",
            "content-type": "application/json",
            "accept": "application/json",
        },
    )

    assert response.status_code == 422
    problem = response.json()
    assert field in json.dumps(problem)


def _grant(site: LandingApp, signer: TokenSigner) -> FormGrant:
    token = site.open_form("lead")
    return signer.read_form(token, campaign_id="cmp-1", entry_point="lead")


@pytest.mark.parametrize("bad_name", ["Kwaad\x00aardig", "Kwaad\ud800aardig"])
def test_a_lead_the_database_refuses_inside_a_group_commit_costs_no_other_lead(
    site: LandingApp, bad_name: str
) -> None:
    """Past the form checks (defence in depth): the group is retried one by one."""
    app = site.client.app
    journeys: Journeys = app.state.journeys  # type: ignore[attr-defined]
    signer: TokenSigner = app.state.signer  # type: ignore[attr-defined]
    page = _page(site)
    names = [f"Kandidaat {i}" for i in range(8)]
    names.insert(3, bad_name)
    grants = [_grant(site, signer) for _ in names]

    async def submit_all() -> list[object]:
        return await asyncio.gather(
            *(
                journeys.submit_lead(
                    page,
                    grant,
                    ValidLead(
                        name=name,
                        phone_e164="+31612345678",
                        email=None,
                        contact_channel="whatsapp",
                        best_moment=None,
                    ),
                    consent_text="ok",
                    language="nl",
                )
                for name, grant in zip(names, grants, strict=True)
            ),
            return_exceptions=True,
        )

    results = run_in_own_loop(submit_all)

    failed = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, CandidatePageError) for r in failed), failed
    stored_names = _stored_names(site)
    assert set(names) - {bad_name} <= stored_names
    assert len(failed) + len(stored_names) == len(names)
    with site.engine.connect() as conn:
        events = [json.loads(v) for v in conn.execute(sa.select(outbox_table.c.value)).scalars()]
        lead_ids = sorted(e["payload"]["lead_id"] for e in events if e["type"] == "LeadSubmitted")
        stored_ids = sorted(str(i) for i in conn.execute(sa.select(leads.c.lead_id)).scalars())
    assert lead_ids == stored_ids


def _page(site: LandingApp) -> PublishedPage:
    with site.engine.connect() as conn:
        page = find_page_by_slug(conn, SLUG)
    assert page is not None
    return page


def _stored_names(site: LandingApp) -> set[str]:
    with site.engine.connect() as conn:
        return set(conn.execute(sa.select(leads.c.name)).scalars())


def test_unknown_lead_ids_in_a_privacy_request_are_still_just_not_found(
    site: LandingApp,
) -> None:
    response = site.client.post(
        f"/internal/v1/tenants/{TENANT_ID}/candidates/export",
        json={"lead_id": str(uuid.uuid4())},
        headers={"authorization": f"Bearer {SERVICE_TOKEN}"},
    )

    assert response.status_code == 200
    assert response.json()["candidates"] == []


@pytest.mark.parametrize("slug", ["%00", "a%00b", "%ED%A0%80", "x" * 200])
@pytest.mark.parametrize("route", ["", "/lead", "/theme.css", "/thanks"])
def test_a_page_address_no_database_holds_is_not_found(
    site: LandingApp, slug: str, route: str
) -> None:
    response = site.client.get(f"/j/{slug}{route}")

    # A NUL is refused for every route by the chassis (400) before landing looks; any
    # other address that cannot be a page is simply not found.
    assert response.status_code == (400 if "%00" in slug else 404)
