"""Leads inbox rules: preferred channel first, links that open, outcomes one way, safe CSV."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campaigns.errors import TransitionRefused
from campaigns.leads.contact import ContactSettings, contact_actions
from campaigns.leads.domain import (
    allowed_outcomes,
    check_outcome,
    csv_rows,
    csv_safe,
    phone_link,
    whatsapp_link,
)
from campaigns.leads.landing_client import Lead
from campaigns.web.pager import Pager as Pagination

pytestmark = pytest.mark.unit

MOMENT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def lead(**changes: object) -> Lead:
    fields: dict[str, object] = {
        "lead_id": "4b0c0a58-0000-4000-8000-000000000001",
        "tenant_id": "t-1",
        "campaign_id": "c-1",
        "variant_id": "tiktok",
        "entry_point": "lead",
        "name": "Sanne de Vries",
        "phone_e164": "+31612345678",
        "email": "sanne@example.nl",
        "contact_channel": "phone",
        "best_moment": "evening",
        "visited_at": MOMENT,
        "created_at": MOMENT,
    }
    return Lead.model_validate({**fields, **changes})


def test_links_use_e164() -> None:
    assert whatsapp_link("+31612345678") == "https://wa.me/31612345678"
    assert phone_link("+31612345678") == "tel:+31612345678"
    for bad in ("0612345678", "+0612345678", "+31 6 12345678", ""):
        assert whatsapp_link(bad) is None and phone_link(bad) is None


@pytest.mark.parametrize(
    ("channel", "first"),
    [("whatsapp", "whatsapp"), ("phone", "phone"), ("email", "email"), ("linkedin", "linkedin")],
)
def test_the_preferred_channel_comes_first(channel: str, first: str) -> None:
    _, options = contact_actions(
        lead(contact_channel=channel), ContactSettings(), "x", replied=False
    )
    assert options[0].channel == first and options[0].preferred
    assert [o.preferred for o in options[1:]] == [False] * (len(options) - 1)


def test_no_phone_no_phone_links() -> None:
    _, options = contact_actions(
        lead(phone_e164=None, contact_channel="whatsapp"), ContactSettings(), "x", replied=False
    )
    assert [o.channel for o in options] == ["email"]
    assert not options[0].preferred  # the preferred channel is not possible


def test_outcomes_move_forward_and_rejected_ends_it() -> None:
    assert allowed_outcomes("new") == ("contacted", "interviewed", "hired", "rejected")
    assert allowed_outcomes("interviewed") == ("hired", "rejected")
    assert allowed_outcomes("hired") == () and allowed_outcomes("rejected") == ()
    assert check_outcome("contacted", "interviewed") == "interviewed"
    for status, outcome in [("hired", "hired"), ("interviewed", "contacted"), ("new", "lunch")]:
        with pytest.raises(TransitionRefused):
            check_outcome(status, outcome)


def test_csv_cells_cannot_become_formulas() -> None:
    assert csv_safe('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert csv_safe("+31612345678") == "'+31612345678"
    assert csv_safe("Sanne") == "Sanne"
    [row] = list(csv_rows([lead(name="@evil")], {"c-1": "Drivers"}, {"tiktok": "TikTok"}))
    assert row[1:6] == ("Drivers", "TikTok", "lead", "new", "'@evil")


def test_pagination() -> None:
    page = Pagination(page=2, per_page=25, total=51)
    assert (page.pages, page.offset, page.has_previous, page.has_next) == (3, 25, True, True)
    assert Pagination(page=1, per_page=25, total=0).pages == 1
