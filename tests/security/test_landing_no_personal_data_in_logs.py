"""Issue 12, class 6: no personal data in any log line.

The failure paths run with known personal values (a database error while a lead is
stored, a bad CV, refused submissions, GDPR requests for an unknown person), and every
log record, at DEBUG, from every logger, is scanned for them: its message, its
arguments, its extra fields and its formatted exception and traceback.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from koers.db import transaction
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

NAME = "Marijke Vliegenthart-Oudshoorn"
PHONE = "06 24681357"
PHONE_E164 = "+31624681357"
EMAIL = "marijke.vliegenthart@geheim.example"
SECRETS = (NAME, "Vliegenthart", PHONE, PHONE_E164, "24681357", EMAIL, "geheim.example")


@pytest.fixture
def site(make_migrated_database_url: Callable[[str], str], tmp_path: Path) -> Iterator[LandingApp]:
    with landing_app(
        make_migrated_database_url("landing"), tmp_path, raise_server_exceptions=False
    ) as app:
        app.publish(campaign())
        yield app


@pytest.fixture
def every_record(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "sqlalchemy.engine", "uvicorn", "fastapi", "landing", "koers"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return caplog


def _failing_lead_inserts(engine: sa.Engine) -> None:
    """Every insert into leads fails in the database itself, as a broken disk would."""
    with transaction(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse_leads() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'disk on fire'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_leads BEFORE INSERT ON leads "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_leads()"
                )
            )
        else:
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_leads BEFORE INSERT ON leads "
                    "BEGIN SELECT RAISE(FAIL, 'disk on fire'); END"
                )
            )


def _everything_logged(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    out = io.StringIO()
    for record in records:
        out.write(formatter.format(record))
        out.write(repr(record.args))
        out.write(repr({k: v for k, v in vars(record).items() if k not in ("args", "msg")}))
        out.write("\n")
    return out.getvalue()


def test_failure_paths_log_no_personal_data(
    site: LandingApp, every_record: pytest.LogCaptureFixture
) -> None:
    _failing_lead_inserts(site.engine)
    person = {"name": NAME, "phone": PHONE, "email": EMAIL}

    # A database error while a lead and an application are stored.
    lead = site.client.post(f"/j/{SLUG}/lead", data=lead_data(site.open_form("lead"), **person))
    application = site.client.post(
        f"/j/{SLUG}/apply",
        data=apply_data(site.open_form("apply"), **person),
        files={"cv": ("cv.pdf", minimal_pdf(NAME), "application/pdf")},
    )
    # A bad CV (named after the candidate, their name inside).
    damaged = site.client.post(
        f"/j/{SLUG}/apply",
        data=apply_data(site.open_form("apply"), **person),
        files={
            "cv": (f"{NAME}.pdf", b"%PDF-1.7\n" + NAME.encode() + b"\n%%EOF", "application/pdf")
        },
    )
    # Refused submissions: characters no database stores, an address that is no address.
    refused = site.client.post(
        f"/j/{SLUG}/lead",
        data=lead_data(site.open_form("lead"), name=NAME + "\x00", email=EMAIL + "\x00"),
    )
    invalid = site.client.post(
        f"/j/{SLUG}/lead",
        data=lead_data(
            site.open_form("lead"), name=NAME, email=f"{EMAIL}@", contact_channel="email"
        ),
    )
    # GDPR requests for someone nobody knows, and malformed ones.
    gdpr = [
        site.client.post(
            f"/internal/v1/tenants/{TENANT_ID}/candidates/{action}",
            json=body,
            headers={"authorization": f"Bearer {SERVICE_TOKEN}"},
        )
        for action in ("export", "erase")
        for body in ({"email": EMAIL}, {"phone": PHONE}, {"lead_id": EMAIL}, {"email": NAME})
    ]

    assert lead.status_code == 500 and application.status_code == 500
    assert damaged.status_code == refused.status_code == invalid.status_code == 422
    assert [r.status_code for r in gdpr] == [200, 200, 422, 422] * 2
    logged = _everything_logged(every_record.records)
    assert "unhandled error" in logged  # the database errors were logged, with traceback
    leaked = [secret for secret in SECRETS if secret.lower() in logged.lower()]
    assert leaked == [], logged
