"""Which creative attributes drive conversions per euro: a count GLM over variant-weeks.

Pure: plain rows in, a frozen :class:`Insights` out, no I/O. Each row is one creative in
one ISO week (its spend, its conversions and the creative's attributes). The model is a
Poisson GLM of conversions with ``log(spend)`` as offset, so every coefficient is a
*rate ratio* of conversions per euro; when the Pearson chi-square per residual degree of
freedom shows overdispersion (> :data:`OVERDISPERSION`), it is refitted as a negative
binomial GLM, its ``alpha`` estimated by the Cameron-Trivedi moment regression.

Attributes: channel and creative format (against a reference level), employee-generated
or not, and free tags (``hook:question``...) that some creatives carry and others do not.
With ``campaign_id`` differing across rows (the tenant scope), each campaign gets its own
intercept, so a campaign that simply converts better does not pass for an attribute.

Caveat, stated in the result: rows of one creative share its attributes, so the
evidence is as much "how many creatives" as "how many weeks"; the negative binomial
absorbs some of that extra variance, and the classical per-creative intervals stand
beside the model for exactly this reason.

The model refuses politely (``status="not_enough_data"`` with a reason) instead of
failing: too few variant-weeks or conversions, no attribute that varies, or a design
the data cannot separate.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import statsmodels.api as sm
from numpy.typing import NDArray
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationWarning,
)

MIN_VARIANT_WEEKS = 8
MIN_CONVERSIONS = 10
MIN_RESIDUAL_DF = 3
OVERDISPERSION = 1.5
"""Pearson chi2/df above this switches to the negative binomial (1 = pure Poisson)."""
MAX_TAGS = 8
"""At most this many tags (the most common ones) enter the model, to keep it estimable."""
LEVEL_ALPHA = 0.05  # 95% intervals on the rate ratios
SIGNIFICANCE = 0.05

TIMES, DASH = "\u00d7", "\u2013"  # the multiplication sign and en dash of "1.8x (1.2-2.6x)"

CONVERSION_NOUNS: dict[str, str] = {
    "leads": "leads",
    "applications": "applications",
    "qualified_quiz": "qualified quiz results",
    "reached": "candidates reached",
    "interviews": "interviews",
    "hires": "hires",
}

CHANNEL_NAMES: dict[str, str] = {
    "linkedin": "LinkedIn",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "facebook": "Facebook",
    "snapchat": "Snapchat",
    "indeed": "Indeed",
}


@dataclass(frozen=True)
class InsightRow:
    """One creative in one ISO week."""

    campaign_id: str
    variant_id: str
    week: str
    spend: float
    conversions: int
    channel: str
    creative_format: str
    employee_generated: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttributeEffect:
    attribute: Literal["channel", "creative_format", "employee_generated", "tag"]
    level: str
    reference: str
    rate_ratio: float
    low: float
    high: float
    p_value: float
    reading: str


@dataclass(frozen=True)
class Insights:
    status: Literal["ok", "not_enough_data"]
    reason: str = ""
    family: Literal["poisson", "negative_binomial", ""] = ""
    dispersion: float | None = None
    """Pearson chi-square per residual degree of freedom of the Poisson fit."""
    alpha: float | None = None
    """The negative binomial's overdispersion parameter, when that family was used."""
    variant_weeks: int = 0
    variants: int = 0
    conversions: int = 0
    effects: tuple[AttributeEffect, ...] = ()
    not_estimable: tuple[str, ...] = ()
    """Attributes left out, each with why (no conversions among them, confounded...)."""
    caveat: str = ""


def _refuse(reason: str, rows: Sequence[InsightRow] = ()) -> Insights:
    return Insights(
        status="not_enough_data",
        reason=reason,
        variant_weeks=len(rows),
        variants=len({(r.campaign_id, r.variant_id) for r in rows}),
        conversions=sum(r.conversions for r in rows),
    )


@dataclass(frozen=True)
class _Column:
    attribute: Literal["channel", "creative_format", "employee_generated", "tag", "campaign"]
    level: str
    reference: str
    values: NDArray[np.float64]


def _reference(levels: Counter[str], preferred: str | None = None) -> str:
    if preferred is not None and preferred in levels:
        return preferred
    return min(levels, key=lambda level: (-levels[level], level))


def _categorical(
    attribute: Literal["channel", "creative_format", "campaign"],
    values: Sequence[str],
    preferred: str | None = None,
) -> list[_Column]:
    levels = Counter(values)
    if len(levels) < 2:
        return []
    reference = _reference(levels, preferred)
    array = np.asarray(values)
    return [
        _Column(attribute, level, reference, (array == level).astype(float))
        for level in sorted(levels)
        if level != reference
    ]


def _candidate_columns(rows: Sequence[InsightRow]) -> list[_Column]:
    columns = _categorical("campaign", [r.campaign_id for r in rows])
    columns += _categorical("channel", [r.channel for r in rows])
    columns += _categorical("creative_format", [r.creative_format for r in rows], "image")
    employee = np.array([float(r.employee_generated) for r in rows])
    if 0 < employee.sum() < len(rows):
        columns.append(_Column("employee_generated", "yes", "no", employee))
    tag_counts = Counter(tag for r in rows for tag in set(r.tags))
    common = sorted(
        (tag for tag, count in tag_counts.items() if count < len(rows)),
        key=lambda tag: (-tag_counts[tag], tag),
    )[:MAX_TAGS]
    for tag in sorted(common):
        values = np.array([float(tag in r.tags) for r in rows])
        columns.append(_Column("tag", tag, "without it", values))
    return columns


def _label(column: _Column) -> str:
    if column.attribute == "channel":
        return f"channel {column.level}"
    if column.attribute == "creative_format":
        return f"format {column.level}"
    if column.attribute == "employee_generated":
        return "employee-generated"
    if column.attribute == "tag":
        return f"tag {column.level!r}"
    return f"campaign {column.level}"


def _estimable_design(
    columns: list[_Column], conversions: NDArray[np.float64], rows: int
) -> tuple[list[_Column], list[str]]:
    """Drop columns the data cannot estimate; say why for each attribute dropped.

    A level whose creatives (or whose complement's) never converted has a rate ratio of
    zero (or infinity): the fit would "converge" to an absurd number. A column that is a
    combination of earlier ones (every TikTok creative is a video) cannot be told apart.
    """
    kept: list[_Column] = []
    skipped: list[str] = []
    design = np.ones((rows, 1))
    for column in columns:
        inside = float(conversions[column.values == 1].sum())
        outside = float(conversions[column.values == 0].sum())
        if column.attribute != "campaign" and (inside == 0 or outside == 0):
            side = "with" if inside == 0 else "without"
            skipped.append(
                f"{_label(column)}: no creative {side} it has converted yet, so its effect "
                "cannot be estimated"
            )
            continue
        candidate = np.column_stack([design, column.values])
        if np.linalg.matrix_rank(candidate) < candidate.shape[1]:
            if column.attribute != "campaign":
                skipped.append(
                    f"{_label(column)}: always goes together with other attributes of these "
                    "creatives, so its effect cannot be told apart from theirs"
                )
            continue
        design = candidate
        kept.append(column)
    return kept, skipped


def _fit(
    y: NDArray[np.float64],
    design: NDArray[np.float64],
    offset: NDArray[np.float64],
    family: Any,
) -> Any:
    with warnings.catch_warnings():
        for category in (
            ConvergenceWarning,
            PerfectSeparationWarning,
            HessianInversionWarning,
            RuntimeWarning,
        ):
            warnings.simplefilter("error", category)
        return sm.GLM(y, design, family=family, offset=offset).fit()


def _moment_alpha(y: NDArray[np.float64], mu: NDArray[np.float64]) -> float:
    """Cameron-Trivedi: regress ((y - mu)^2 - y) / mu on mu without intercept."""
    alpha = float(np.sum((y - mu) ** 2 - y) / np.sum(mu**2))
    return max(alpha, 1e-6)


def _ratio(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"


def _reading(column: _Column, ratio: float, low: float, high: float, p: float, noun: str) -> str:
    if column.attribute == "channel":
        subject = f"{CHANNEL_NAMES.get(column.level, column.level)} creatives"
        against = f"{CHANNEL_NAMES.get(column.reference, column.reference)} creatives"
    elif column.attribute == "creative_format":
        subject, against = f"{column.level.capitalize()} creatives", f"{column.reference}s"
    elif column.attribute == "employee_generated":
        subject, against = "Employee-generated creatives", "the others"
    else:
        subject, against = f"Creatives tagged {column.level!r}", "those without it"
    sentence = (
        f"{subject} produce {_ratio(ratio)}{TIMES} ({_ratio(low)}{DASH}{_ratio(high)}{TIMES}) "
        f"as many "
        f"{noun} per euro as {against}"
    )
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    if p >= SIGNIFICANCE:
        return f"{sentence}; the data cannot tell them apart yet ({p_text})."
    return f"{sentence} ({p_text})."


def explain_attributes(rows: Sequence[InsightRow], conversion: str = "leads") -> Insights:
    """Fit the attribute model over variant-weeks; see the module docstring."""
    usable = [r for r in rows if r.spend > 0 and math.isfinite(r.spend) and r.conversions >= 0]
    noun = CONVERSION_NOUNS.get(conversion, conversion)
    if len(usable) < MIN_VARIANT_WEEKS:
        return _refuse(
            f"only {len(usable)} creative-weeks with spend; the model needs at least "
            f"{MIN_VARIANT_WEEKS}",
            usable,
        )
    total = sum(r.conversions for r in usable)
    if total < MIN_CONVERSIONS:
        return _refuse(
            f"only {total} {noun} so far; the model needs at least {MIN_CONVERSIONS}", usable
        )
    y = np.array([float(r.conversions) for r in usable])
    offset = np.log(np.array([r.spend for r in usable]))
    columns, skipped = _estimable_design(_candidate_columns(usable), y, len(usable))
    attributes = [c for c in columns if c.attribute != "campaign"]
    if not attributes:
        reason = (
            "; ".join(skipped)
            if skipped
            else "the creatives do not differ in channel, format, employee-generated or tags"
        )
        return _refuse(f"no attribute can be compared: {reason}", usable)
    design = np.column_stack([np.ones(len(usable)), *(c.values for c in columns)])
    residual_df = len(usable) - design.shape[1]
    if residual_df < MIN_RESIDUAL_DF:
        return _refuse(
            f"{len(usable)} creative-weeks are too few for {design.shape[1]} parameters",
            usable,
        )
    try:
        poisson = _fit(y, design, offset, sm.families.Poisson())
        dispersion = float(poisson.pearson_chi2 / poisson.df_resid)
        result, alpha = poisson, None
        family: Literal["poisson", "negative_binomial"] = "poisson"
        if dispersion > OVERDISPERSION:
            alpha = _moment_alpha(y, np.asarray(poisson.fittedvalues, dtype=float))
            result = _fit(y, design, offset, sm.families.NegativeBinomial(alpha=alpha))
            family = "negative_binomial"
        params = np.asarray(result.params, dtype=float)
        errors = np.asarray(result.bse, dtype=float)
        p_values = np.asarray(result.pvalues, dtype=float)
        intervals = np.asarray(result.conf_int(alpha=LEVEL_ALPHA), dtype=float)
    except (
        np.linalg.LinAlgError,
        ValueError,
        ConvergenceWarning,
        PerfectSeparationWarning,
        HessianInversionWarning,
        RuntimeWarning,
    ) as exc:
        return _refuse(f"the model could not be fitted on these data ({exc})", usable)
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(errors))):
        return _refuse("the model could not be fitted on these data (no finite estimate)", usable)
    effects = []
    for index, column in enumerate(columns, start=1):
        if column.attribute == "campaign":
            continue
        ratio = math.exp(params[index])
        low, high = math.exp(intervals[index][0]), math.exp(intervals[index][1])
        p = float(p_values[index])
        effects.append(
            AttributeEffect(
                attribute=column.attribute,
                level=column.level,
                reference=column.reference,
                rate_ratio=ratio,
                low=low,
                high=high,
                p_value=p,
                reading=_reading(column, ratio, low, high, p, noun),
            )
        )
    variants = len({(r.campaign_id, r.variant_id) for r in usable})
    return Insights(
        status="ok",
        family=family,
        dispersion=dispersion,
        alpha=alpha,
        variant_weeks=len(usable),
        variants=variants,
        conversions=total,
        effects=tuple(effects),
        not_estimable=tuple(skipped),
        caveat=(
            f"Attributes belong to creatives, not weeks: these {len(usable)} weeks come from "
            f"{variants} creatives, so read each effect as a comparison of those creatives."
        ),
    )
