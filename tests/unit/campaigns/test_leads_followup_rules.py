"""Follow-up rules: the message filled in, links that carry it, when to call, the best
moment on the recruiter's clock, and speed-to-lead figures (including when there are none)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from campaigns.leads.contact import (
    ContactSettings,
    TemplateInvalid,
    best_moment_window,
    check_template,
    contact_actions,
    contact_later,
    fill_message,
)
from campaigns.leads.landing_client import Contact, Lead, LeadContactFacts
from campaigns.leads.speed import format_hours, speed_to_lead

pytestmark = pytest.mark.unit

CREATED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def lead(**fields: object) -> Lead:
    values: dict[str, object] = {
        "lead_id": str(uuid.uuid4()),
        "tenant_id": "t",
        "campaign_id": "c",
        "variant_id": "v",
        "entry_point": "lead",
        "name": "Anna de Vries",
        "phone_e164": "+31612345678",
        "email": "anna@example.nl",
        "contact_channel": "whatsapp",
        "best_moment": None,
        "visited_at": CREATED,
        "created_at": CREATED,
        **fields,
    }
    return Lead.model_validate(values)


def test_the_message_greets_by_first_name_and_names_the_vacancy() -> None:
    message = fill_message(
        "Hoi {voornaam}, leuk dat je {vacature} wilt! {onbekend} en {{ blijven }}",
        candidate_name="  Anna   de Vries ",
        vacancy="Monteur",
    )

    assert message == "Hoi Anna, leuk dat je Monteur wilt! {onbekend} en {{ blijven }}"


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("", "Write a message"),
        ("   ", "Write a message"),
        ("Hoi {naam}", "Unknown placeholder {naam}"),
        ("x" * 1001, "under 1000 characters"),
    ],
)
def test_a_template_the_console_cannot_fill_in_is_refused(template: str, reason: str) -> None:
    with pytest.raises(TemplateInvalid, match=reason):
        check_template(template)


def test_the_whatsapp_link_carries_the_message_in_the_candidates_language() -> None:
    settings = ContactSettings(message_nl="Hoi {voornaam}", message_en="Hi {first_name} & co")

    dutch, actions = contact_actions(lead(), settings, "Monteur", replied=False)
    english, en_actions = contact_actions(lead(language="en"), settings, "Monteur", replied=False)

    assert dutch == "Hoi Anna" and english == "Hi Anna & co"
    whatsapp = urlsplit(en_actions[0].href or "")
    assert (whatsapp.netloc, whatsapp.path) == ("wa.me", "/31612345678")
    assert parse_qs(whatsapp.query) == {"text": ["Hi Anna & co"]}
    mail = next(a for a in actions if a.channel == "email")
    assert mail.href == "mailto:anna@example.nl?subject=Monteur&body=Hoi%20Anna"


def test_a_candidate_who_asked_for_a_message_is_called_after_a_reply() -> None:
    settings = ContactSettings()
    _, messaged = contact_actions(lead(), settings, "x", replied=False)
    _, answered = contact_actions(lead(), settings, "x", replied=True)
    _, caller = contact_actions(lead(contact_channel="phone"), settings, "x", replied=False)

    assert [(a.channel, a.preferred, a.after_reply) for a in messaged] == [
        ("whatsapp", True, False),
        ("phone", False, True),
        ("email", False, False),
    ]
    assert not any(a.after_reply for a in answered)
    assert (caller[0].channel, caller[0].preferred, caller[0].after_reply) == ("phone", True, False)


def test_without_a_valid_number_there_is_no_whatsapp_or_call() -> None:
    _, actions = contact_actions(lead(phone_e164=None), ContactSettings(), "x", replied=False)

    assert [a.channel for a in actions] == ["email"]


def test_the_best_moment_is_shown_on_the_recruiters_clock() -> None:
    day = datetime(2026, 12, 7).date()  # winter: Amsterdam is UTC+1, London UTC+0
    summer = datetime(2026, 7, 6).date()

    amsterdam = best_moment_window("morning", day, "Europe/Amsterdam")
    london = best_moment_window("morning", day, "Europe/London")
    london_summer = best_moment_window("evening", summer, "Europe/London")

    assert amsterdam is not None and amsterdam.label() == "08:00\N{EN DASH}12:00"
    assert london is not None and london.label() == "07:00\N{EN DASH}11:00"
    assert london_summer is not None and london_summer.label() == "16:00\N{EN DASH}20:00"
    assert best_moment_window(None, day, "Europe/Amsterdam") is None


def test_a_lead_outside_their_window_waits_in_contact_later_until_contacted() -> None:
    morning_lead = lead(best_moment="morning")
    at_ten = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
    at_three = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # 15:00 in Amsterdam
    attempt = Contact(kind="attempt", channel="whatsapp", at=at_ten, recruiter_id="u")

    later = contact_later(morning_lead, at_three, "Europe/Amsterdam")

    assert contact_later(morning_lead, at_ten, "Europe/Amsterdam") is None
    assert later is not None and later.start.date().isoformat() == "2026-12-08"  # tomorrow
    assert contact_later(lead(best_moment=None), at_three, "Europe/Amsterdam") is None
    contacted = lead(best_moment="morning", contacts=(attempt,))
    assert contact_later(contacted, at_three, "Europe/Amsterdam") is None


def facts(
    hours_to_contact: float | None,
    *,
    channel: str = "whatsapp",
    replied: bool = False,
    recruiter: str = "u1",
    status: str = "new",
    created: datetime = CREATED,
) -> LeadContactFacts:
    contacts = []
    if hours_to_contact is not None:
        at = created + timedelta(hours=hours_to_contact)
        contacts.append(Contact(kind="attempt", channel=channel, at=at, recruiter_id=recruiter))
        if replied:
            reply_at = at + timedelta(hours=1)
            contacts.append(Contact(kind="reply", channel=channel, at=reply_at, recruiter_id="u"))
    return LeadContactFacts(
        lead_id=str(uuid.uuid4()),
        created_at=created,
        contact_channel=channel,
        status="contacted" if contacts else status,
        contacts=tuple(contacts),
    )


def test_speed_to_lead_per_campaign_channel_and_recruiter() -> None:
    now = CREATED + timedelta(days=3)
    waiting = facts(None)
    rejected = facts(None, status="rejected")
    figures = speed_to_lead(
        [
            facts(1, replied=True),
            facts(3, replied=False),
            facts(30, channel="email", replied=True, recruiter="u2"),
            waiting,
            rejected,
        ],
        now=now,
        target_hours=24,
    )

    assert (figures.leads, figures.contacted, figures.within_target) == (5, 3, 2)
    assert figures.median_hours == 3
    assert figures.reply_rate == pytest.approx(2 / 3)
    assert [(c.channel, c.attempted, c.replied) for c in figures.by_channel] == [
        ("email", 1, 1),
        ("whatsapp", 2, 1),
    ]
    assert [
        (r.recruiter_id, r.first_contacts, r.median_hours, r.replied) for r in figures.by_recruiter
    ] == [
        ("u1", 2, 2, 1),
        ("u2", 1, 30, 1),
    ]
    assert figures.overdue == {waiting.lead_id}  # a rejected lead waits for nothing


def test_speed_to_lead_with_nothing_to_measure_is_neutral() -> None:
    fresh = facts(None, created=CREATED)
    figures = speed_to_lead([fresh], now=CREATED + timedelta(hours=2), target_hours=24)
    empty = speed_to_lead([], now=CREATED, target_hours=24)

    assert figures.median_hours is None and figures.reply_rate is None
    assert figures.overdue == frozenset()  # two hours old: within the target
    assert empty.leads == 0 and empty.by_channel == () and format_hours(None) == "\N{EM DASH}"
    assert [format_hours(h) for h in (0.25, 3.5, 50)] == ["15 min", "3.5 h", "2.1 days"]
