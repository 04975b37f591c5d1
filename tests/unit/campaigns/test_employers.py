"""Adding employers and the agency overview, below HTTP: the name rule, who may add one,
the overview's figures, and revision 0009 on a database that already holds employers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from campaigns.agency.overview import employer_summaries
from campaigns.catalog.domain import Variant
from campaigns.cli import MIGRATIONS_DIR
from campaigns.decisions.domain import PushTime
from campaigns.demo import DEMO_PAGE
from campaigns.tenancy.domain import employer_name, may_create_employers
from campaigns.web.i18n import LocaleFormats
from koers.db import make_engine, transaction
from tests.support import campaigns_db as repo
from tests.support import campaigns_use_cases as service_layer

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK = "2026-W49"


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("  Bakkerij   Jansen ", "Bakkerij Jansen"),
        ("Bakkerij\tJansen\n", "Bakkerij Jansen"),
        ("Cafe\u0301 De Hoek", "Caf\u00e9 De Hoek"),  # one way to write é, whatever was typed
        ("x" * 200, "x" * 200),
    ],
)
def test_an_employer_name_is_tidied(raw: str, name: str) -> None:
    assert employer_name(raw) == name


@pytest.mark.parametrize("raw", ["", "   ", "\t\n", "x" * 201, "Nul\x00byte", "Bel\x07", "Del\x7f"])
def test_an_employer_name_that_cannot_be_stored_or_read_is_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        employer_name(raw)


def test_only_an_owner_of_some_employer_may_add_one() -> None:
    m = repo.Membership
    assert may_create_employers([m("a", "A", "viewer"), m("b", "B", "owner")])
    assert not may_create_employers([m("a", "A", "marketer"), m("b", "B", "recruiter")])
    assert not may_create_employers([])


def _campaign(conn: sa.Connection, tenant_id: str, name: str, *, live: bool = True) -> str:
    slug = f"c-{uuid.uuid4().hex[:10]}"
    campaign = service_layer.create_campaign(
        conn,
        tenant_id=tenant_id,
        new=service_layer.NewCampaign(
            slug=slug,
            name=name,
            vacancy_title="Monteur",
            goal="lead",
            weekly_budget=Decimal("200.00"),
            page=DEMO_PAGE,
            variants=(Variant("a", "Reel", "instagram", "video", "Hook", ad_key=f"{slug}-a"),),
        ),
        actor="test",
        now=NOW,
    )
    if live:
        service_layer.publish(conn, tenant_id=tenant_id, slug=slug, actor="test", now=NOW)
    return campaign.id


def _propose(conn: sa.Connection, campaign_id: str, week: str = WEEK) -> None:
    repo.upsert_allocation_proposal(
        conn,
        campaign_id=campaign_id,
        week=week,
        payload={"allocation": {"a": 200.0}},
        event_id=str(uuid.uuid4()),
        proposed_at=NOW,
        received_at=NOW,
    )


def test_the_overview_counts_waiting_decisions_and_finds_the_first_deadline(
    make_migrated_database_url: Callable[[str], str],
) -> None:
    url = make_migrated_database_url("campaigns")
    engine = make_engine(url)
    agency, client, other = (str(uuid.uuid4()) for _ in range(3))
    with transaction(engine) as conn:
        for tenant_id, name in ((agency, "Bureau"), (client, "Klant"), (other, "Ander")):
            repo.add_tenant(conn, tenant_id, name)
        waits_late = _campaign(conn, agency, "Wacht, duwt dinsdag")
        waits_early = _campaign(conn, agency, "Wacht, duwt maandag")
        decided = _campaign(conn, agency, "Besloten")
        _campaign(conn, agency, "Zonder voorstel")
        draft = _campaign(conn, agency, "Concept", live=False)
        last_week = _campaign(conn, client, "Voorstel van vorige week")
        elsewhere = _campaign(conn, other, "Elders")
        for campaign_id in (waits_late, waits_early, decided, draft, elsewhere):
            _propose(conn, campaign_id)
        _propose(conn, last_week, week="2026-W48")
        repo.save_push_time(conn, waits_late, PushTime(weekday=1))
        repo.save_push_time(conn, waits_early, PushTime(weekday=0))
        repo.save_decision(
            conn,
            repo.StoredDecision(
                campaign_id=decided,
                week=WEEK,
                tenant_id=agency,
                status="approved",
                amounts={"a": 20000},
                proposed={"a": 20000},
                edited=False,
                decided_by="test",
                decided_at=NOW,
                note="",
                reasons=(),
                proposal_version=None,
            ),
        )
    memberships = [
        repo.Membership(agency, "Bureau", "owner"),
        repo.Membership(client, "Klant", "viewer"),
    ]
    with engine.connect() as conn:
        klant, bureau = employer_summaries(conn, memberships, active_tenant=client, week=WEEK)
    engine.dispose()

    assert (klant.name, klant.active, bureau.active) == ("Klant", True, False)  # active first
    assert [c.name for c in klant.campaigns] == ["Voorstel van vorige week"]
    assert klant.waiting == 0 and klant.first_waiting is None
    assert {c.name for c in bureau.campaigns} == {
        "Wacht, duwt dinsdag",
        "Wacht, duwt maandag",
        "Besloten",
        "Zonder voorstel",
    }
    assert bureau.waiting == 2
    first = bureau.first_waiting
    assert first is not None and first.name == "Wacht, duwt maandag"
    assert first.time_zone == "Europe/Amsterdam"
    assert (
        LocaleFormats("nl")
        .local_moment(first.push_at, first.time_zone)
        .startswith("maandag 30 november 2026")
    )
    late = next(c for c in bureau.campaigns if c.name == "Wacht, duwt dinsdag")
    assert late.push_at - first.push_at == timedelta(days=1)


def _insert_as_then(conn: sa.Connection, table_name: str, **values: object) -> None:
    """Insert into a table as the database has it now (reflected, not today's code)."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    conn.execute(sa.insert(table).values(**values))


def test_revision_0009_keeps_every_employer_and_frees_their_names(
    make_database_url: Callable[[str], str],
) -> None:
    url = make_database_url("campaigns")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = url
    command.upgrade(config, "0005_security")
    engine = make_engine(url)
    tenant_id, user_id, campaign_id = (str(uuid.uuid4()) for _ in range(3))
    # Rows as the code of revision 0005 wrote them: today's code writes columns that
    # later revisions add, so the rows go in through the tables as they were then.
    with transaction(engine) as conn:
        _insert_as_then(conn, "tenants", id=tenant_id, name="Bestaand BV")
        _insert_as_then(
            conn,
            "users",
            id=user_id,
            email="eigenaar@bestaand.example",
            password_hash="x",
            created_at=NOW,
        )
        _insert_as_then(
            conn, "memberships", user_id=user_id, tenant_id=tenant_id, role="owner", created_at=NOW
        )
        _insert_as_then(
            conn,
            "campaigns",
            id=campaign_id,
            tenant_id=tenant_id,
            slug="bestaande-campagne",
            name="Bestaande campagne",
            vacancy_title="Monteur",
            goal="lead",
            weekly_budget=Decimal("200.00"),
            status="draft",
            page=DEMO_PAGE,
            page_version=0,
            created_at=NOW,
            updated_at=NOW,
            version=1,
        )
    command.upgrade(config, "head")
    with transaction(engine) as conn:
        repo.add_tenant(conn, str(uuid.uuid4()), "Bestaand BV")  # a second of that name
        names = conn.execute(sa.select(repo.tenants.c.name)).scalars().all()
        user = repo.user_by_email(conn, "eigenaar@bestaand.example")
        assert user is not None
        owned = repo.memberships_of(conn, user.id)
        campaigns = repo.campaigns_of_tenant(conn, tenant_id)
    engine.dispose()
    assert sorted(names) == ["Bestaand BV", "Bestaand BV"]
    assert [(m.tenant_id, m.role) for m in owned] == [(tenant_id, "owner")]
    assert [c.name for c in campaigns] == ["Bestaande campagne"]
