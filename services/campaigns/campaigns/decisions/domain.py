"""The weekly decision as values: which week is planned, when it is pushed, and whether a
split stays within the campaign's guardrails (with a sentence per rule it breaks).

Pure: amounts are integer euro cents, the clock and the campaign's settings come in as
arguments. The guardrail re-check mirrors analytics' shaping rules
(``analytics.allocation.guardrails``) closely enough that a split the engine shaped
within its guardrails passes, and an edit that leaves them is refused with the rule and
the amount it is off by:

1. amounts are not negative and add up to the weekly budget (to the cent);
2. a channel stays within its cap (a share of the budget; caps of the channels present
   that add up to less than the whole budget are raised together, as the engine does);
3. every live creative keeps its floor: the larger of the minimum spend per creative and
   its even part of the exploration share (lowered to fit a cap or the budget);
4. a running creative is cut by at most the maximum week-on-week change (raises are not
   limited, as in the engine: a deep cut is what harms delivery). Last week's amounts
   are first rescaled to this week's budget, as the engine does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from koers.events import Guardrails
from koers.isoweeks import iso_week, week_monday
from koers.phrases import Phrase

DEFAULT_TIMEZONE = "Europe/Amsterdam"
DEFAULT_PUSH_WEEKDAY = 0  # Monday
DEFAULT_PUSH_TIME = time(9, 0)
TOLERANCE_CENTS = 1
"""The engine rounds to cents by largest remainder, so a bound may be missed by a cent."""

DecisionStatus = Literal["approved", "autopilot", "rejected", "held"]
"""- approved: a person approved the split (as proposed or edited);
- autopilot: applied without a person because it stayed within the guardrails;
- rejected: a person rejected it; nothing is pushed;
- held: waits for a person (autopilot found it outside the guardrails, or a person
  undid autopilot's decision)."""
PUSHABLE: frozenset[str] = frozenset({"approved", "autopilot"})

Rule = Literal["negative", "total", "channel_cap", "exploration_floor", "min_spend", "max_change"]
RULE_LABELS: dict[Rule, str] = {
    "negative": "no negative amounts",
    "total": "total = weekly budget",
    "channel_cap": "channel cap",
    "exploration_floor": "exploration floor",
    "min_spend": "minimum spend per live creative",
    "max_change": "maximum week-on-week change",
}

MINUS = "\u2212"
"""The typographic minus sign the console writes amounts and changes with."""

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- money -------------------------------------------------------------------------------


def to_cents(amount: Decimal | float | int | str) -> int:
    """Euros as whole cents, half up."""
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def euros(cents: int) -> str:
    """``€1,234.50`` (the console's way of writing money)."""
    sign = MINUS if cents < 0 else ""
    return f"{sign}€{Decimal(abs(cents)) / 100:,.2f}"


def parse_euros(text: str) -> int | None:
    """A typed amount ("1200", "1.200,50", "1,200.50", "€ 80") as cents; None if unreadable."""
    cleaned = text.replace("€", "").replace(" ", "").replace("\u00a0", "").strip()
    if not cleaned:
        return None
    if "," in cleaned and "." in cleaned:
        # Whichever comes last is the decimal separator.
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        whole, _, frac = cleaned.rpartition(",")
        cleaned = f"{whole.replace(',', '')}.{frac}" if len(frac) <= 2 else cleaned.replace(",", "")
    elif "." in cleaned:
        # Amounts have cents, never three decimals: "1.200" is a Dutch twelve hundred.
        whole, _, frac = cleaned.rpartition(".")
        cleaned = f"{whole.replace('.', '')}.{frac}" if len(frac) <= 2 else cleaned.replace(".", "")
    try:
        value = Decimal(cleaned)
    except ArithmeticError:
        return None
    if not value.is_finite():
        return None
    return to_cents(value)


def even_split(budget_cents: int, variant_ids: Sequence[str]) -> dict[str, int]:
    """The budget split evenly, the leftover cents going to the first creatives."""
    if not variant_ids:
        return {}
    share, rest = divmod(budget_cents, len(variant_ids))
    return {v: share + (1 if i < rest else 0) for i, v in enumerate(variant_ids)}


# --- the week and its push time ------------------------------------------------------------


def planned_week(now: datetime, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The ISO week a decision made ``now`` is for: the week starting on the coming Monday,
    or on today when today is Monday (a run plans the week that starts on its Monday)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return iso_week(today + timedelta(days=(7 - today.weekday()) % 7))


@dataclass(frozen=True)
class PushTime:
    """When a campaign's approved split goes out, in the week it is for (local time)."""

    weekday: int = DEFAULT_PUSH_WEEKDAY
    at: time = DEFAULT_PUSH_TIME
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("the push day is a weekday from Monday (0) to Sunday (6)")
        ZoneInfo(self.timezone)  # raises for an unknown zone

    def moment(self, week: str) -> datetime:
        """The push time of ``week`` in UTC."""
        day: date = week_monday(week) + timedelta(days=self.weekday)
        local = datetime.combine(day, self.at, tzinfo=ZoneInfo(self.timezone))
        return local.astimezone(UTC)


# --- the guardrail re-check --------------------------------------------------------------


@dataclass(frozen=True)
class SplitLine:
    """One creative's amount in a split, with what the re-check needs to know of it."""

    variant_id: str
    name: str
    channel: str
    amount_cents: int
    last_week_cents: int | None = None
    """Last week's approved amount; None when it did not run last week."""
    max_change_holds: bool = True
    """False for a creative analytics' engine exempts from the max-change guardrail (in
    the ad platform's learning phase, or ruled out): the same rule, checked twice."""


@dataclass(frozen=True)
class Breach:
    rule: Rule
    message: str
    variant_id: str | None = None
    off_by_cents: int = 0
    """How far the amount is from the nearest allowed one (positive: too low)."""


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def _floors(
    lines: Sequence[SplitLine], budget: int, caps: Mapping[str, float], guardrails: Guardrails
) -> dict[str, tuple[float, Rule]]:
    count = len(lines)
    exploration = guardrails.exploration_share * budget / count
    min_spend = guardrails.min_spend_per_creative * 100
    rule: Rule = "min_spend" if min_spend >= exploration and min_spend > 0 else "exploration_floor"
    floor = {line.variant_id: max(min_spend, exploration) for line in lines}
    for channel, cap in caps.items():
        members = [line.variant_id for line in lines if line.channel == channel]
        total = sum(floor[v] for v in members)
        if total > cap > 0:
            for v in members:
                floor[v] *= cap / total
    total = sum(floor.values())
    if total > budget > 0:
        floor = {v: f * budget / total for v, f in floor.items()}
    return {v: (f, rule) for v, f in floor.items()}


def _caps(lines: Sequence[SplitLine], budget: int, guardrails: Guardrails) -> dict[str, float]:
    present = sorted({line.channel for line in lines})
    caps: dict[str, float] = {
        c: float(guardrails.channel_caps[c]) * budget  # type: ignore[index]
        for c in present
        if c in guardrails.channel_caps
    }
    if caps and len(caps) == len(present) and sum(caps.values()) < budget:
        total = sum(caps.values())
        caps = (
            {c: cap * budget / total for c, cap in caps.items()}
            if total > 0
            else {c: budget / len(present) for c in caps}
        )
    return caps


def check_split(
    lines: Sequence[SplitLine], *, budget_cents: int, guardrails: Guardrails
) -> list[Breach]:
    """Every guardrail the split breaks, one sentence each; empty when it stays within."""
    breaches: list[Breach] = []
    for line in lines:
        if line.amount_cents < 0:
            breaches.append(
                Breach(
                    "negative",
                    f"{line.name}: an amount cannot be negative ({euros(line.amount_cents)}).",
                    line.variant_id,
                    -line.amount_cents,
                )
            )
    total = sum(line.amount_cents for line in lines)
    if abs(total - budget_cents) > 0:
        gap = budget_cents - total
        breaches.append(
            Breach(
                "total",
                f"The amounts add up to {euros(total)}, not the weekly budget of "
                f"{euros(budget_cents)} ({euros(abs(gap))} too {'low' if gap > 0 else 'high'}).",
                None,
                gap,
            )
        )
    if not lines or budget_cents <= 0:
        return breaches
    caps = _caps(lines, budget_cents, guardrails)
    for channel, cap in caps.items():
        spent = sum(line.amount_cents for line in lines if line.channel == channel)
        if spent - cap > TOLERANCE_CENTS:
            over = round(spent - cap)
            breaches.append(
                Breach(
                    "channel_cap",
                    f"{channel.capitalize()}: {euros(spent)} is {_percent(spent / budget_cents)} "
                    f"of the budget, more than its cap of {_percent(cap / budget_cents)} "
                    f"({euros(over)} too high).",
                    None,
                    -over,
                )
            )
    floors = _floors(lines, budget_cents, caps, guardrails)
    for line in lines:
        floor, rule = floors[line.variant_id]
        if floor - line.amount_cents > TOLERANCE_CENTS:
            short = round(floor - line.amount_cents)
            what = (
                f"the minimum spend per live creative of {euros(round(floor))}"
                if rule == "min_spend"
                else f"the exploration floor of {euros(round(floor))} "
                f"({_percent(guardrails.exploration_share)} of the budget shared by "
                f"{len(lines)} creatives)"
            )
            breaches.append(
                Breach(
                    rule,
                    f"{line.name}: {euros(line.amount_cents)} is below {what} "
                    f"({euros(short)} too low).",
                    line.variant_id,
                    short,
                )
            )
    breaches.extend(_change_breaches(lines, budget_cents, guardrails))
    return breaches


def _change_breaches(
    lines: Sequence[SplitLine], budget_cents: int, guardrails: Guardrails
) -> list[Breach]:
    last_total = sum(line.last_week_cents or 0 for line in lines)
    if last_total <= 0:
        return []
    limit = guardrails.max_weekly_change
    breaches = []
    for line in lines:
        if not line.last_week_cents or not line.max_change_holds:
            continue
        reference = line.last_week_cents * budget_cents / last_total
        lowest = reference * max(1.0 - limit, 0.0)
        if lowest - line.amount_cents > TOLERANCE_CENTS:
            change = (line.amount_cents - reference) / reference
            short = round(lowest - line.amount_cents)
            rescaled = (
                ""
                if last_total == budget_cents
                else f" (last week's {euros(line.last_week_cents)} rescaled to this budget: "
                f"{euros(round(reference))})"
            )
            breaches.append(
                Breach(
                    "max_change",
                    f"{line.name}: {MINUS}{_percent(-change)} is more than the maximum change of "
                    f"{_percent(limit)}{rescaled} ({euros(short)} too low).",
                    line.variant_id,
                    short,
                )
            )
    return breaches


# --- one row of the workspace ----------------------------------------------------------------


@dataclass(frozen=True)
class MoveRow:
    """One creative in the decision table: now, proposed, chosen, and why."""

    variant_id: str
    name: str
    channel: str
    current_cents: int | None
    proposed_cents: int
    chosen_cents: int
    p_best: float | None
    cost_mean: float | None
    cost_low: float | None
    cost_high: float | None
    reason: str | Phrase
    """The engine's sentence: a phrase shown in the reader's language, or older English text."""

    @property
    def change_cents(self) -> int | None:
        return None if self.current_cents is None else self.chosen_cents - self.current_cents

    @property
    def change_share(self) -> float | None:
        if self.current_cents is None or self.current_cents == 0:
            return None
        return (self.chosen_cents - self.current_cents) / self.current_cents


def signed_euros(cents: int | None) -> str:
    if cents is None:
        return "-"
    return ("+" if cents > 0 else "") + euros(cents) if cents else "€0.00"


def signed_percent(share: float | None) -> str:
    if share is None:
        return "-"
    if abs(share) < 0.005:
        return "0%"
    return f"{'+' if share > 0 else MINUS}{abs(share) * 100:.0f}%"
