"""The allocation contract: one request in, one response out, on the CLI and the API alike.

The request is the campaign's full current view of its weekly counts; the response is
next week's budget split with everything a marketer needs to trust it. Validation is
strict and its messages name the offending field, because callers converse with the
engine line by line and must be able to fix a bad line on their own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Annotated, Any, Literal, NotRequired

import numpy as np
from numpy.typing import NDArray
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
    with_config,
)
from typing_extensions import TypedDict

from koers.isoweeks import ISO_WEEK_PATTERN, week_ordinal
from koers.phrases import PhraseField

Channel = Literal["linkedin", "instagram", "tiktok", "facebook", "snapchat", "indeed"]
CHANNELS: tuple[Channel, ...] = (
    "linkedin",
    "instagram",
    "tiktok",
    "facebook",
    "snapchat",
    "indeed",
)

MAX_VARIANTS = 20_000
MAX_HISTORY_ROWS = 1_000_000
MAX_PRIOR_CAMPAIGNS = 50
MAX_PRIOR_ROWS = 2_000_000
"""Rows across every prior campaign together: ten earlier campaigns of the largest
allowed size stay readable in one call, and no caller can make a request unbounded."""
MAX_AMOUNT = 1e12
"""Far above any weekly ad budget; keeps sums and products of amounts finite."""


def _real_week(week: str) -> str:
    if not 1 <= int(week[6:]) <= 52:  # weeks 1-52 exist in every year; check the rest
        week_ordinal(week)  # raises ValueError with a readable message
    return week


IsoWeek = Annotated[
    str,
    Field(pattern=ISO_WEEK_PATTERN, examples=["2026-W48"]),
    AfterValidator(_real_week),
]
RowWeek = Annotated[str, Field(pattern=ISO_WEEK_PATTERN, examples=["2026-W47"])]
"""A history row's week: its form is checked per row, whether the week exists once per
distinct week by the request (:meth:`AllocationRequest._consistent`), which keeps a
callback per row out of validating hundreds of thousands of rows."""
VariantId = Annotated[str, Field(min_length=1, max_length=128, examples=["ig-video-1"])]
Amount = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Count = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Variant(BaseModel):
    """A creative eligible for budget in the planned week (paused ones are not listed)."""

    model_config = _STRICT

    variant_id: VariantId
    channel: Channel
    created_week: IsoWeek
    attributes: dict[str, Any] | None = Field(
        None, description="Free-form creative attributes (format, hook, …); echoed, not used."
    )


@with_config(ConfigDict(extra="forbid"))
class HistoryRow(TypedDict):
    """One variant's counts in one past ISO week, conversions attributed to that week.

    A dict rather than a model: requests carry up to a million rows that the engine reads
    as columns, and a dict validates at about a quarter of a model's cost.
    """

    variant_id: VariantId
    week: RowWeek
    spend: Annotated[Amount, Field(description="EUR spent in the week")]
    impressions: Count
    clicks: Count
    conversions: Annotated[
        Count,
        Field(
            description="Conversions (the campaign's goal) attributed to the week's visits "
            "so far; may grow in later calls as late conversions arrive"
        ),
    ]


@with_config(ConfigDict(extra="forbid"))
class PriorVariant(TypedDict):
    """A prior campaign's creative: a :class:`Variant`'s shape and limits, read as a dict.

    Prior campaigns may carry a hundred thousand creatives that the engine only sums over,
    so they are validated as plain dicts (like :class:`HistoryRow`); the JSON they accept,
    and every message they give, are those of the model.
    """

    variant_id: VariantId
    channel: Channel
    created_week: IsoWeek
    attributes: NotRequired[
        Annotated[
            dict[str, Any] | None,
            Field(description="Creative attributes (format, hook, family, …)"),
        ]
    ]


_VARIANT_ID, _WEEK, _SPEND, _CONVERSIONS = (
    itemgetter(key) for key in ("variant_id", "week", "spend", "conversions")
)


@dataclass(frozen=True)
class PriorColumns:
    """A prior campaign's history as arrays: what the engine sums, read in one pass."""

    unit: NDArray[np.int64]
    """Per row: the index of its creative in ``variants``."""
    week: NDArray[np.int64]
    """Per row: the index of its week in ``week_labels``."""
    week_labels: tuple[str, ...]
    spend: NDArray[np.float64]
    conversions: NDArray[np.float64]


class PriorCampaign(BaseModel):
    """An earlier or concurrent campaign of the same employer, in the request's own shapes."""

    model_config = _STRICT

    campaign_id: str = Field(min_length=1, max_length=128, examples=["c-0"])
    variants: list[PriorVariant] = Field(max_length=MAX_VARIANTS)
    history: list[HistoryRow] = Field(default_factory=list, max_length=MAX_HISTORY_ROWS)

    _columns: PriorColumns | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _consistent(self) -> PriorCampaign:
        # pydantic runs an after-validator on an instance passed in whole too: one that
        # was already read (validated, or built by :meth:`trusted`) is not read again.
        if self._columns is None:
            self._columns = _prior_columns(self.variants, self.history)
        return self

    @classmethod
    def trusted(
        cls,
        campaign_id: str,
        variants: list[PriorVariant],
        history: list[HistoryRow],
    ) -> PriorCampaign:
        """A prior campaign from rows the caller's own database already holds valid.

        Analytics' weekly proposal sends up to ten earlier campaigns of twenty thousand
        rows each, read from weekly facts that were validated when they were stored;
        checking 400,000 rows one by one again cost twice the allocation itself. Here
        the limits are checked on whole columns instead (the same rules, one numpy
        comparison per column) and the rows are read into columns once, as validation
        would. A row that breaks a rule raises ValueError naming the campaign and field.
        Untrusted input (the API, the CLI) never comes here: it goes through
        ``model_validate``/``model_validate_json`` and is checked row by row.
        """
        if not 1 <= len(campaign_id) <= 128:
            raise ValueError("prior campaign campaign_id must have 1 to 128 characters")
        if len(variants) > MAX_VARIANTS or len(history) > MAX_HISTORY_ROWS:
            raise ValueError(
                f"prior campaign {campaign_id!r} has more than {MAX_VARIANTS:,} variants "
                f"or {MAX_HISTORY_ROWS:,} history rows"
            )
        _check_trusted_variants(campaign_id, variants)
        columns = _prior_columns(variants, history)
        _check_trusted_history(campaign_id, history, columns)
        prior = cls.model_construct(campaign_id=campaign_id, variants=variants, history=history)
        prior._columns = columns
        return prior

    @property
    def columns(self) -> PriorColumns:
        """The history as arrays, read once while validating."""
        assert self._columns is not None  # set by the validator of every instance
        return self._columns


def _prior_columns(variants: list[PriorVariant], history: list[HistoryRow]) -> PriorColumns:
    """The rows as columns, after the checks that span rows (both routes run them).

    Checked on whole columns; the offending item is looked for only once one exists.
    """
    ids = [variant["variant_id"] for variant in variants]
    index = {variant_id: i for i, variant_id in enumerate(ids)}
    if len(index) < len(ids):
        seen: set[str] = set()
        for variant_id in ids:
            if variant_id in seen:
                raise ValueError(f"variant_id {variant_id!r} is listed twice")
            seen.add(variant_id)
    rows = history
    count = len(rows)
    # map over C callables, not generator expressions: these run once per row.
    unit = np.fromiter(map(index.get, map(_VARIANT_ID, rows), repeat(-1)), np.int64, count)
    if count and unit.min() < 0:
        variant_id = rows[int(np.argmin(unit))]["variant_id"]
        raise ValueError(
            f"history row for {variant_id!r} names no variant of this campaign "
            "(a prior campaign's rows need their creative's channel)"
        )
    weeks = list(map(_WEEK, rows))
    labels = {label: i for i, label in enumerate(dict.fromkeys(weeks))}
    week = np.fromiter(map(labels.__getitem__, weeks), np.int64, count)
    key = unit * max(len(labels), 1) + week
    if count and _repeats(key, len(ids) * max(len(labels), 1)):
        found: set[int] = set()
        for i, value in enumerate(key.tolist()):
            if value in found:
                raise ValueError(
                    f"history has two rows for variant {rows[i]['variant_id']!r} in "
                    f"{rows[i]['week']}"
                )
            found.add(value)
    return PriorColumns(
        unit=unit,
        week=week,
        week_labels=tuple(labels),
        spend=np.fromiter(map(_SPEND, rows), float, count),
        conversions=np.fromiter(map(_CONVERSIONS, rows), float, count),
    )


def _repeats(key: NDArray[np.int64], size: int) -> bool:
    """Whether any key occurs twice: counted when the keys are few, else sorted."""
    if size <= 4 * key.size:  # a campaign's creatives x weeks: usually nearly all used
        return bool(np.bincount(key, minlength=size).max() > 1)
    return bool((np.diff(np.sort(key)) == 0).any())


_CHANNEL, _CREATED_WEEK = itemgetter("channel"), itemgetter("created_week")
_WEEK_FORM = re.compile(ISO_WEEK_PATTERN)


def _check_week_labels(campaign_id: str, field: str, labels: Iterable[str]) -> None:
    """Each distinct week once: its form, then whether it exists."""
    for label in labels:
        if not isinstance(label, str) or not _WEEK_FORM.fullmatch(label):
            raise ValueError(f"prior campaign {campaign_id!r}: {field} {label!r} is no ISO week")
        try:
            _real_week(label)
        except ValueError as exc:
            raise ValueError(f"prior campaign {campaign_id!r}: {field} {label!r}: {exc}") from exc


def _check_trusted_variants(campaign_id: str, variants: list[PriorVariant]) -> None:
    """:class:`PriorVariant`'s rules over whole columns (distinct values once each)."""
    if not variants:
        return
    lengths = np.fromiter(map(len, map(_VARIANT_ID, variants)), np.int64, len(variants))
    if lengths.min() < 1 or lengths.max() > 128:
        raise ValueError(f"prior campaign {campaign_id!r}: a variant_id is empty or too long")
    unknown = set(map(_CHANNEL, variants)) - set(CHANNELS)
    if unknown:
        raise ValueError(f"prior campaign {campaign_id!r}: unknown channel {unknown.pop()!r}")
    _check_week_labels(campaign_id, "created_week", set(map(_CREATED_WEEK, variants)))


def _check_trusted_history(
    campaign_id: str, history: list[HistoryRow], columns: PriorColumns
) -> None:
    """:class:`HistoryRow`'s limits on the columns the engine reads: weeks that exist,
    spend and conversions finite from 0 to MAX_AMOUNT. Impressions and clicks travel
    with the rows (the stored request shows them) but the engine never reads a prior
    campaign's, so they are not read here either."""
    _check_week_labels(campaign_id, "week", columns.week_labels)
    for field, values in (("spend", columns.spend), ("conversions", columns.conversions)):
        bad = ~((values >= 0) & (values <= MAX_AMOUNT))  # NaN fails both comparisons
        if bad.any():
            row = history[int(np.argmax(bad))]
            raise ValueError(
                f"prior campaign {campaign_id!r}: history row for {row['variant_id']!r} in "
                f"{row['week']} has {field} {float(values[np.argmax(bad)])!r}, not a number "
                f"from 0 to {MAX_AMOUNT:g}"
            )


class AllocationPolicy(BaseModel):
    """Guardrails and model settings; every field has a default a marketer can keep."""

    model_config = _STRICT

    exploration_share: Share = Field(
        0.02,
        description="Share of the budget always spread evenly over every listed creative, "
        "so none stops learning",
    )
    max_change: float | None = Field(
        0.2,
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Largest week-on-week cut of a creative's amount, relative to last "
        "week's (0.2 = 20%; ad platforms restart learning at about 20%), for creatives whose "
        "learning is established (see learning_exit_conversions) and that are not ruled out "
        "(chance of being best at least 2%). Raises are not limited: a creative out of "
        "learning regains it fastest with more money. null disables it",
    )
    learning_exit_conversions: float | None = Field(
        50.0,
        ge=0,
        le=1e9,
        allow_inf_nan=False,
        description="Conversions in the last week from which a creative counts as out of the "
        "ad platform's learning phase (about 50 optimisation events a week) and is held to "
        "max_change; a creative below it has no learned delivery to lose and may move "
        "freely. null holds every running creative to max_change",
    )
    min_spend: Amount = Field(
        0.0, description="EUR every listed creative gets at least (when the budget allows)"
    )
    channel_caps: dict[Channel, Share] = Field(
        default_factory=dict, description="Largest share of the budget per channel"
    )
    fatigue_half_life_weeks: float | None = Field(
        5.0,
        gt=0,
        le=520,
        allow_inf_nan=False,
        description="Weeks after which old evidence counts half (creatives tire); null "
        "keeps all weeks at full weight",
    )
    learn_half_life: bool = Field(
        True,
        description="Learn how fast old evidence fades from how well each candidate "
        "half-life (1.5 weeks to never) predicted the campaign's own next weeks, instead "
        "of using fatigue_half_life_weeks; null fatigue_half_life_weeks still keeps all "
        "weeks at full weight",
    )
    fatigue_trend: bool = Field(
        True,
        description="Estimate the campaign's common weekly decline of conversions per euro "
        "and judge each creative at its likely rate this week",
    )
    maturity_lag_weeks: int = Field(
        2, ge=0, le=8, description="Weeks after which a week's conversions are complete"
    )
    maturity_prior: list[Share] = Field(
        default_factory=lambda: [0.65, 0.92],
        description="Share of a week's conversions that have arrived 1, 2, … weeks later "
        "before the data says otherwise (one value per lag week)",
    )
    maturity_prior_strength: float = Field(
        30.0,
        ge=0,
        le=1e6,
        allow_inf_nan=False,
        description="Conversions' worth of weight the maturity prior carries",
    )
    allocation_rule: Literal["knowledge_gradient", "probability_power"] = Field(
        "knowledge_gradient",
        description="How targets are set before the guardrails: knowledge_gradient funds the "
        "likely best and gives each contender the trial whose expected gain over "
        "lookahead_weeks outweighs its cost this week; probability_power sets shares ∝ "
        "p_best ** allocation_power",
    )
    lookahead_weeks: float = Field(
        6.0,
        ge=0,
        le=520,
        allow_inf_nan=False,
        description="Weeks ahead that what is learned this week is expected to steer "
        "(knowledge_gradient); creatives tire, so far ahead is worth little. 0 never pays "
        "for learning beyond exploration_share",
    )
    allocation_power: float = Field(
        5.0,
        ge=0,
        le=50,
        allow_inf_nan=False,
        description="With allocation_rule probability_power: target share ∝ p_best ** power; "
        "1 is probability matching (Thompson), higher moves faster to the likely best",
    )
    winner_threshold: Share = Field(
        0.95, description="Chance of being best needed to declare a winner"
    )
    value_remaining_threshold: float = Field(
        0.01,
        ge=0,
        le=10,
        allow_inf_nan=False,
        description="Largest expected relative gain still available over the leader "
        "(E[max θ] / E[θ leader] - 1) when a winner is declared",
    )

    @model_validator(mode="after")
    def _lags_agree(self) -> AllocationPolicy:
        if len(self.maturity_prior) != self.maturity_lag_weeks:
            raise ValueError(
                f"maturity_prior needs one share per lag week ({self.maturity_lag_weeks}), "
                f"got {len(self.maturity_prior)}"
            )
        if any(b < a for a, b in zip(self.maturity_prior, self.maturity_prior[1:], strict=False)):
            raise ValueError("maturity_prior must not decrease: conversions only accumulate")
        if any(share <= 0 for share in self.maturity_prior):
            raise ValueError("maturity_prior shares must be above 0")
        return self


class AllocationRequest(BaseModel):
    """Next week's question: how to split ``budget`` over ``variants`` given ``history``."""

    model_config = _STRICT

    campaign_id: str = Field(min_length=1, max_length=128, examples=["c-1"])
    week: IsoWeek = Field(description="The ISO week being planned")
    budget: Amount = Field(description="EUR to spend in the planned week")
    variants: list[Variant] = Field(min_length=1, max_length=MAX_VARIANTS)
    history: list[HistoryRow] = Field(default_factory=list, max_length=MAX_HISTORY_ROWS)
    previous_allocation: dict[VariantId, Amount] | None = Field(
        None, description="Last week's amounts per variant (for the max-change guardrail)"
    )
    policy: AllocationPolicy = Field(default_factory=AllocationPolicy)
    prior_campaigns: list[PriorCampaign] = Field(
        default_factory=list,
        max_length=MAX_PRIOR_CAMPAIGNS,
        description="The employer's earlier and concurrent campaigns, oldest first: the "
        "engine learns from them how conversions per euro are spread per channel and "
        "creative attribute, and starts this campaign's creatives from that. Empty means "
        "this campaign's own data only",
    )

    @model_validator(mode="after")
    def _consistent(self) -> AllocationRequest:
        seen: set[str] = set()
        for variant in self.variants:
            if variant.variant_id in seen:
                raise ValueError(f"variant_id {variant.variant_id!r} is listed twice")
            seen.add(variant.variant_id)
        ordinals: dict[str, int] = {}

        def ordinal(week: str) -> int:
            found = ordinals.get(week)
            if found is None:
                found = ordinals[week] = week_ordinal(week)  # a readable error if none
            return found

        planned = ordinal(self.week)
        for variant in self.variants:
            if ordinal(variant.created_week) > planned:
                raise ValueError(
                    f"variant {variant.variant_id!r} is created in {variant.created_week}, "
                    f"after the planned week {self.week}"
                )
        rows = {(row["variant_id"], row["week"]) for row in self.history}
        weeks = {row["week"] for row in self.history}
        late = [week for week in weeks if ordinal(week) >= planned]
        if len(rows) < len(self.history) or late:
            self._name_bad_row(ordinal, planned)
        self._check_prior_campaigns(ordinal, planned)
        return self

    def _name_bad_row(self, ordinal: Callable[[str], int], planned: int) -> None:
        """The first duplicate or too-late row, found row by row only once one exists."""
        rows: set[tuple[str, str]] = set()
        for row in self.history:
            key = (row["variant_id"], row["week"])
            if key in rows:
                raise ValueError(f"history has two rows for variant {key[0]!r} in {key[1]}")
            rows.add(key)
            if ordinal(key[1]) >= planned:
                raise ValueError(
                    f"history row for {key[0]!r} is in {key[1]}, not before the "
                    f"planned week {self.week}"
                )

    def _check_prior_campaigns(self, ordinal: Callable[[str], int], planned: int) -> None:
        campaigns: set[str] = {self.campaign_id}
        total = 0
        for prior in self.prior_campaigns:
            if prior.campaign_id in campaigns:
                raise ValueError(
                    f"prior campaign {prior.campaign_id!r} is listed twice or is the planned "
                    "campaign itself"
                )
            campaigns.add(prior.campaign_id)
            total += len(prior.history)
            if total > MAX_PRIOR_ROWS:
                raise ValueError(
                    f"prior campaigns hold more than {MAX_PRIOR_ROWS:,} history rows together"
                )
            for week in prior.columns.week_labels:
                if ordinal(week) >= planned:
                    raise ValueError(
                        f"prior campaign {prior.campaign_id!r} has a history row in {week}, "
                        f"not before the planned week {self.week}"
                    )


class CostPerConversion(BaseModel):
    """Expected EUR per conversion and its 90% interval; null where it is undefined."""

    mean: float | None
    low: float | None
    high: float | None


class VariantAllocation(BaseModel):
    """One creative's line in the proposal."""

    variant_id: str
    channel: Channel
    amount: float = Field(description="EUR for the planned week")
    share: float = Field(description="Share of the budget")
    p_best: float = Field(description="Chance of being the best creative per euro")
    expected_conversions: float = Field(description="Expected conversions from its amount")
    change: float | None = Field(description="EUR change from last week; null if unknown")
    reason: str = Field(description="Why it gets this amount, in a sentence")
    reason_phrase: PhraseField | None = Field(
        None,
        description="The same sentence as a message id and its figures, for a reader of "
        "another language (koers.phrases)",
    )
    max_change_holds: bool = Field(
        default=True,
        description="Whether the policy's max_change limits this creative's cut: false for "
        "a creative in the ad platform's learning phase or ruled out (see "
        "learning_exit_conversions), which may be cut further",
    )


class EarlierCampaignsSummary(BaseModel):
    """How much the employer's earlier campaigns (``prior_campaigns``) shaped the split."""

    campaigns: int = Field(description="Earlier campaigns that informed the prior")
    creatives: int = Field(description="Their creatives with results")
    weight: float = Field(description="Their share of the channel estimates' precision (0-1)")
    disagreement: float = Field(
        description="How many times their spread was widened because this campaign's "
        "results differ from them (1: they agree)"
    )


class AllocationResponse(BaseModel):
    """Next week's split, the evidence behind it and what to watch."""

    campaign_id: str
    week: str
    allocation: dict[str, float]
    p_best: dict[str, float]
    expected_cost_per_conversion: dict[str, CostPerConversion]
    explanation: list[str]
    explanation_phrases: list[PhraseField] = Field(
        default_factory=list,
        description="The explanation as message ids and figures (koers.phrases), in order",
    )
    warnings: list[str]
    warning_phrases: list[PhraseField] = Field(
        default_factory=list,
        description="The warnings as message ids and figures (koers.phrases), in order",
    )
    variants: list[VariantAllocation]
    expected_conversions: float = Field(description="Expected conversions of this split")
    equal_split_expected_conversions: float = Field(
        description="Expected conversions had the budget been split equally"
    )
    winner: str | None = Field(description="The declared winner, or null")
    value_remaining: float | None = Field(
        description="Expected relative gain still available over the leader; null when "
        "there is no evidence yet"
    )
    earlier_campaigns: EarlierCampaignsSummary | None = Field(
        None,
        description="How much earlier campaigns shaped the split; absent when the request "
        "carried none that could inform it",
        exclude_if=lambda value: value is None,
    )


def finite_or_none(value: float) -> float | None:
    """JSON has no inf or NaN: an undefined figure is null."""
    return value if math.isfinite(value) else None
