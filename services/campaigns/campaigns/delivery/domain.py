"""What a weekly budget push is made of: the approved plan, the changes it implies, the result.

Pure: no I/O and nothing from the adapters, so the console can show a dry run, the
tests can pin every rule, and each adapter (bulk files, Marketing API) turns the same
``PushChange`` list into its own calls or rows.

Money is in integer cents of the plan's currency (EUR) throughout. The platforms take a
*daily* budget, Koers plans a *weekly* one: ``daily_budget_cents`` divides by seven and
rounds half up to the cent, so seven days may differ from the week by up to 3 cents.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from koers.isoweeks import week_monday

Channel = Literal[
    "meta", "facebook", "instagram", "linkedin", "tiktok", "google", "youtube", "snapchat", "indeed"
]
Platform = Literal["meta", "linkedin", "tiktok", "google_ads"]
Level = Literal["campaign", "ad_set"]
"""Where a budget lives on the platform: the campaign, or the ad set (Meta) / ad group
(TikTok). LinkedIn and Google Ads budget campaigns only."""
Currency = Literal["EUR"]

PLATFORM_OF_CHANNEL: dict[Channel, Platform] = {
    "meta": "meta",
    "facebook": "meta",
    "instagram": "meta",
    "linkedin": "linkedin",
    "tiktok": "tiktok",
    "google": "google_ads",
    "youtube": "google_ads",
}
"""Channels Koers can deliver to. Snapchat and Indeed have no adapter yet: their
creatives show up in a dry run as blocked, with the reason."""

PLATFORM_LABELS: dict[Platform, str] = {
    "meta": "Meta Ads Manager",
    "linkedin": "LinkedIn Campaign Manager",
    "tiktok": "TikTok Ads Manager",
    "google_ads": "Google Ads Editor",
}

DAYS_PER_WEEK = 7
_CENT = Decimal(1)


def daily_budget_cents(weekly_cents: int) -> int:
    """A weekly amount as the daily budget the platforms take: weekly / 7, half up."""
    if weekly_cents < 0:
        raise ValueError("a budget cannot be negative")
    return int((Decimal(weekly_cents) / DAYS_PER_WEEK).quantize(_CENT, rounding=ROUND_HALF_UP))


def format_cents(cents: int) -> str:
    """Cents as the decimal amount the bulk tools read: 1234 -> "12.34"."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"


@dataclass(frozen=True)
class PlatformIds:
    """The ids of a creative's objects on its ad platform, as the marketer entered them.

    Any may be missing; a change that needs a missing id is blocked (with the reason)
    rather than guessed at.
    """

    campaign_id: str | None = None
    ad_set_id: str | None = None
    """Meta's ad set, TikTok's ad group."""
    ad_id: str | None = None
    campaign_name: str | None = None
    """The campaign's name on the platform: Google Ads Editor matches rows on it."""


@dataclass(frozen=True)
class CreativeBudget:
    """One creative's line in the approved split for the week."""

    variant_id: str
    name: str
    channel: Channel
    ids: PlatformIds
    new_weekly_cents: int
    current_weekly_cents: int | None = None
    """Last week's amount, for the dry run's "from → to"; None for a new creative."""
    paused: bool = False

    def __post_init__(self) -> None:
        if self.new_weekly_cents < 0:
            raise ValueError(f"{self.variant_id}: a budget cannot be negative")
        if self.current_weekly_cents is not None and self.current_weekly_cents < 0:
            raise ValueError(f"{self.variant_id}: a budget cannot be negative")


@dataclass(frozen=True)
class BudgetPlan:
    """A campaign's approved (or autopilot) budget split for one ISO week."""

    tenant_id: str
    campaign_id: str
    campaign_name: str
    week: str
    creatives: tuple[CreativeBudget, ...]
    currency: Currency = "EUR"

    def __post_init__(self) -> None:
        week_monday(self.week)  # ValueError naming the week if it is not one
        if self.currency != "EUR":
            raise ValueError(f"only EUR plans are supported, not {self.currency}")
        twice = [v for v, n in Counter(c.variant_id for c in self.creatives).items() if n > 1]
        if twice:
            raise ValueError(f"variant listed twice in the plan: {', '.join(sorted(twice))}")

    @property
    def total_weekly_cents(self) -> int:
        return sum(c.new_weekly_cents for c in self.creatives)


@dataclass(frozen=True)
class PushChange:
    """What one API call or one bulk-file row would change on a platform.

    ``blocked`` says why the change cannot be sent (a missing id, a channel without an
    adapter, two creatives on one budget); a blocked change is shown, never sent.
    """

    platform: Platform | None
    """None for a channel Koers has no adapter for (always blocked)."""
    channel: Channel
    variant_id: str
    variant_name: str
    level: Level
    object_id: str | None
    weekly_cents: int
    daily_budget_cents: int
    paused: bool
    ad_id: str | None = None
    platform_campaign_name: str | None = None
    current_weekly_cents: int | None = None
    blocked: str | None = None

    @property
    def sendable(self) -> bool:
        return self.blocked is None and self.object_id is not None

    @property
    def status(self) -> Literal["ACTIVE", "PAUSED"]:
        return "PAUSED" if self.paused else "ACTIVE"


OutcomeKind = Literal[
    "changed", "already_set", "exported", "refused", "failed", "blocked", "dry_run"
]
"""- changed: the platform accepted the change.
- already_set: the platform already had it (a retried push); nothing was sent.
- exported: written to a bulk file for the marketer to upload.
- refused: the platform said no for good (bad id, invalid token); retrying will not help.
- failed: still failing after retries (outage, rate limit); retrying later may help.
- blocked: never sent, Koers lacks what it needs (see ``PushChange.blocked``).
- dry_run: would be sent."""

PushStatus = Literal["sent", "refused", "partial", "dry_run"]
_DONE: frozenset[OutcomeKind] = frozenset({"changed", "already_set", "exported"})


@dataclass(frozen=True)
class ChangeOutcome:
    change: PushChange
    outcome: OutcomeKind
    detail: str = ""
    """For the marketer: the reason, or the platform's message with secrets removed."""
    error_code: int | None = None

    @property
    def done(self) -> bool:
        return self.outcome in _DONE


@dataclass(frozen=True)
class PushResult:
    """What a push did, change by change; stored by the caller under its idempotency key."""

    adapter: str
    idempotency_key: str
    status: PushStatus
    outcomes: tuple[ChangeOutcome, ...]
    files: dict[str, bytes] = field(default_factory=dict)
    """Bulk files produced by the push (csv adapter), filename -> bytes."""

    @classmethod
    def of(
        cls,
        adapter: str,
        idempotency_key: str,
        outcomes: Iterable[ChangeOutcome],
        files: dict[str, bytes] | None = None,
    ) -> PushResult:
        outcomes = tuple(outcomes)
        return cls(
            adapter=adapter,
            idempotency_key=idempotency_key,
            status=push_status(outcomes),
            outcomes=outcomes,
            files=dict(files or {}),
        )

    @property
    def retryable(self) -> bool:
        """Whether pushing again may finish the job (something failed, nothing refused it)."""
        return any(o.outcome == "failed" for o in self.outcomes)


def push_status(outcomes: Sequence[ChangeOutcome]) -> PushStatus:
    """sent: everything is in place; refused: nothing is; partial: some of it is."""
    if outcomes and all(o.outcome == "dry_run" for o in outcomes):
        return "dry_run"
    done = sum(1 for o in outcomes if o.done)
    if done == len(outcomes):
        return "sent"
    return "partial" if done else "refused"


def plan_changes(plan: BudgetPlan, platforms: Iterable[Platform] | None = None) -> list[PushChange]:
    """The changes a plan implies, one per creative, on the given platforms (default all).

    Creatives on channels without an adapter appear only when ``platforms`` is None.
    """
    wanted = set(platforms) if platforms is not None else None
    changes: list[PushChange] = []
    for creative in plan.creatives:
        platform = PLATFORM_OF_CHANNEL.get(creative.channel)
        if wanted is not None and platform not in wanted:
            continue
        changes.append(_change_for(creative, platform))
    return _block_shared_budgets(changes)


def _change_for(creative: CreativeBudget, platform: Platform | None) -> PushChange:
    ids = creative.ids
    level, object_id, missing = _budget_object(platform, ids)
    blocked = None
    if platform is None:
        blocked = f"Koers cannot deliver to {creative.channel} yet; set this budget by hand"
    elif object_id is None:
        blocked = f"enter the {missing} of this creative in {PLATFORM_LABELS[platform]}"
    return PushChange(
        platform=platform,
        channel=creative.channel,
        variant_id=creative.variant_id,
        variant_name=creative.name,
        level=level,
        object_id=object_id,
        weekly_cents=creative.new_weekly_cents,
        daily_budget_cents=daily_budget_cents(creative.new_weekly_cents),
        paused=creative.paused,
        ad_id=ids.ad_id,
        platform_campaign_name=ids.campaign_name,
        current_weekly_cents=creative.current_weekly_cents,
        blocked=blocked,
    )


def _budget_object(platform: Platform | None, ids: PlatformIds) -> tuple[Level, str | None, str]:
    """Which object holds the creative's budget, and what to ask for when it is missing.

    Meta and TikTok budget the ad set / ad group, or the whole campaign when the
    marketer uses a campaign budget (then only the campaign id is entered).
    """
    if platform in ("meta", "tiktok"):
        if ids.ad_set_id:
            return "ad_set", ids.ad_set_id, ""
        if ids.campaign_id:
            return "campaign", ids.campaign_id, ""
        noun = "ad set id" if platform == "meta" else "ad group id"
        return "ad_set", None, noun
    return "campaign", ids.campaign_id or None, "campaign id"


def _block_shared_budgets(changes: list[PushChange]) -> list[PushChange]:
    """Two creatives on one budget object would overwrite each other's amount."""
    owners: dict[tuple[Platform | None, str], list[str]] = {}
    for change in changes:
        if change.sendable and change.object_id is not None:
            owners.setdefault((change.platform, change.object_id), []).append(change.variant_id)
    shared = {key: names for key, names in owners.items() if len(names) > 1}
    if not shared:
        return changes
    result = []
    for change in changes:
        names = shared.get((change.platform, change.object_id or ""))
        if names and change.sendable:
            others = ", ".join(n for n in names if n != change.variant_id)
            change = _with_blocked(
                change,
                f"shares its budget ({change.object_id}) with {others}; "
                "give each creative its own ad set or campaign",
            )
        result.append(change)
    return result


def _with_blocked(change: PushChange, reason: str) -> PushChange:
    return replace(change, blocked=reason)


_SECRET_PARAM = re.compile(r"(access_token|token|secret|password)=[^&\s\"']+", re.IGNORECASE)
_BEARER = re.compile(r"(bearer|oauth)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_DETAIL_CHARS = 300


def sanitise_platform_message(text: str, secrets: Iterable[str] = ()) -> str:
    """A platform's error text made safe to store and show.

    Removes the given secrets wherever they appear, ``access_token=...``-style
    parameters and bearer headers, control characters, and cuts it to 300 characters.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}=[redacted]", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} [redacted]", text)
    text = " ".join(_CONTROL.sub(" ", text).split())
    if len(text) > MAX_DETAIL_CHARS:
        text = text[: MAX_DETAIL_CHARS - 1] + "…"
    return text
