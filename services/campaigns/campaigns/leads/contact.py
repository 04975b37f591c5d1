"""How a recruiter reaches a candidate: the employer's message templates filled in, the
WhatsApp, e-mail and call links, and when to call. Pure: values in, values out.

The articles this product follows say: send a short message first, call once there is
interest, and contact at the moment the candidate asked for. So a candidate who chose
WhatsApp, e-mail or LinkedIn gets the message first and the call "after a reply"; and
the best moment they gave (morning, afternoon, evening, in Dutch time, where the
candidates are) is shown as hours on the recruiter's clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo, available_timezones

from campaigns.leads.domain import phone_link, whatsapp_link
from campaigns.leads.landing_client import Lead
from campaigns.web.i18n import N_

CANDIDATE_TIME_ZONE = "Europe/Amsterdam"
DEFAULT_TIME_ZONE = "Europe/Amsterdam"
DEFAULT_TARGET_HOURS = 24
TEMPLATE_MAX_LENGTH = 1000
MESSAGE_FIRST_CHANNELS = frozenset({"whatsapp", "email", "linkedin"})

DEFAULT_MESSAGE_NL = (
    "Hoi {voornaam}, bedankt voor je interesse in {vacature}! "
    "Zullen we even kort bellen? Laat maar weten wanneer het je uitkomt."
)
DEFAULT_MESSAGE_EN = (
    "Hi {voornaam}, thank you for your interest in {vacature}! "
    "Could we have a short call? Let me know when suits you."
)

PLACEHOLDERS: dict[str, str] = {
    "voornaam": "first_name",
    "first_name": "first_name",
    "vacature": "vacancy",
    "vacancy": "vacancy",
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

BEST_MOMENT_HOURS: dict[str, tuple[int, int]] = {
    "morning": (8, 12),
    "afternoon": (12, 17),
    "evening": (17, 21),
}
"""What "morning", "afternoon" and "evening" mean on the candidate's form, in their time."""


class TemplateInvalid(ValueError):
    """A template the console cannot fill in; the message says why, for the form."""


@dataclass(frozen=True)
class ContactSettings:
    """The employer's follow-up settings: message templates, target and time zone."""

    message_nl: str = DEFAULT_MESSAGE_NL
    message_en: str = DEFAULT_MESSAGE_EN
    target_hours: int = DEFAULT_TARGET_HOURS
    time_zone: str = DEFAULT_TIME_ZONE

    def template_for(self, language: str) -> str:
        return self.message_en if language == "en" else self.message_nl


def check_template(text: str) -> str:
    """The template, trimmed; TemplateInvalid when it is empty, too long or names a
    placeholder we do not know (a typo would otherwise reach the candidate as is)."""
    template = text.strip()
    if not template:
        raise TemplateInvalid("Write a message; it may use {voornaam} and {vacature}.")
    if len(template) > TEMPLATE_MAX_LENGTH:
        raise TemplateInvalid(f"Keep the message under {TEMPLATE_MAX_LENGTH} characters.")
    unknown = sorted({m for m in _PLACEHOLDER.findall(template) if m not in PLACEHOLDERS})
    if unknown:
        raise TemplateInvalid(
            f"Unknown placeholder {{{unknown[0]}}}: use {{voornaam}} and {{vacature}}."
        )
    return template


def check_time_zone(name: str) -> str:
    if name not in available_timezones():
        raise TemplateInvalid("Choose a time zone such as Europe/Amsterdam.")
    return name


def first_name(full_name: str) -> str:
    """The first word of the name the candidate typed ("Anna de Vries" -> "Anna")."""
    parts = full_name.split()
    return parts[0] if parts else ""


def fill_message(template: str, *, candidate_name: str, vacancy: str) -> str:
    """The template with the candidate's first name and the vacancy filled in; braces
    that name no placeholder stay as they are (never ``str.format`` on user text)."""
    values = {"first_name": first_name(candidate_name), "vacancy": vacancy}

    def substitute(match: re.Match[str]) -> str:
        key = PLACEHOLDERS.get(match.group(1))
        return values[key] if key else match.group(0)

    return _PLACEHOLDER.sub(substitute, template)


def whatsapp_message_link(phone_e164: str | None, message: str) -> str | None:
    """``https://wa.me/<digits>?text=<message>``, or None without a usable number."""
    base = whatsapp_link(phone_e164 or "")
    return f"{base}?text={quote(message, safe='')}" if base else None


def mailto_link(email: str | None, *, subject: str, body: str) -> str | None:
    if not email:
        return None
    query = f"subject={quote(subject, safe='')}&body={quote(body, safe='')}"
    return f"mailto:{quote(email, safe='@')}?{query}"


@dataclass(frozen=True)
class ContactAction:
    """One way to reach the candidate from the inbox."""

    channel: str
    label: str
    href: str | None
    preferred: bool
    after_reply: bool = False
    """A call for a candidate who asked for a message first: only once they answered."""


def contact_actions(
    lead: Lead, settings: ContactSettings, vacancy: str, *, replied: bool
) -> tuple[str, list[ContactAction]]:
    """The prefilled message and the ways to reach the candidate, preferred first."""
    message = fill_message(
        settings.template_for(lead.language), candidate_name=lead.name, vacancy=vacancy
    )
    subject = vacancy
    messages_first = lead.contact_channel in MESSAGE_FIRST_CHANNELS and not replied
    phone = lead.phone_e164
    candidates = [
        ContactAction("whatsapp", "WhatsApp", whatsapp_message_link(phone, message), False),
        ContactAction(
            "phone", N_("Call"), phone_link(phone or ""), False, after_reply=messages_first
        ),
        ContactAction(
            "email", "E-mail", mailto_link(lead.email, subject=subject, body=message), False
        ),
    ]
    actions = [a for a in candidates if a.href]
    if lead.contact_channel == "linkedin":
        actions.append(ContactAction("linkedin", N_("LinkedIn (search by name)"), None, False))
    actions.sort(key=lambda a: a.channel != lead.contact_channel)
    return message, [
        ContactAction(a.channel, a.label, a.href, a.channel == lead.contact_channel, a.after_reply)
        for a in actions
    ]


# --- the best moment -------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The candidate's best moment on the recruiter's clock, for one day."""

    start: datetime
    end: datetime

    def label(self) -> str:
        return f"{self.start:%H:%M}\N{EN DASH}{self.end:%H:%M}"

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def best_moment_window(
    best_moment: str | None, day: date, recruiter_time_zone: str
) -> Window | None:
    """The window of ``best_moment`` on ``day`` (the candidate's calendar), converted to
    the recruiter's time zone; None when the candidate gave none (any time is fine)."""
    hours = BEST_MOMENT_HOURS.get(best_moment or "")
    if hours is None:
        return None
    candidate_zone = ZoneInfo(CANDIDATE_TIME_ZONE)
    recruiter_zone = ZoneInfo(recruiter_time_zone)
    start = datetime.combine(day, time(hours[0]), candidate_zone)
    end = datetime.combine(day, time(hours[1]), candidate_zone)
    return Window(start.astimezone(recruiter_zone), end.astimezone(recruiter_zone))


def window_today(best_moment: str | None, now: datetime, recruiter_time_zone: str) -> Window | None:
    """Today's window, or tomorrow's once today's has passed."""
    today = now.astimezone(ZoneInfo(CANDIDATE_TIME_ZONE)).date()
    window = best_moment_window(best_moment, today, recruiter_time_zone)
    if window is not None and now >= window.end:
        window = best_moment_window(best_moment, today + timedelta(days=1), recruiter_time_zone)
    return window


def contact_later(lead: Lead, now: datetime, recruiter_time_zone: str) -> Window | None:
    """The window to wait for when a not yet contacted lead is outside it now, else None."""
    if lead.contacts:
        return None
    window = window_today(lead.best_moment, now, recruiter_time_zone)
    return window if window is not None and not window.holds(now) else None
