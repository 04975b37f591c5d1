"""Priors from the employer's earlier campaigns, and strength shared within a family.

A new campaign knows nothing in its first week, and its first weeks' counts are thin.
The employer's earlier (and concurrent) campaigns often know a lot: which channels
convert for this employer, which formats and hooks work, how far creatives spread. This
module learns that and hands the beliefs stage a prior per creative.

**Across campaigns** (:func:`learn`). Every earlier creative's log conversions per euro
``l = log((y + ½) / x)`` (x its spend at its matured share, y its conversions) is read as

    l = m_campaign + a_channel + Σ b_attribute + e,   e ~ N(0, σ² + 1 / (y + ½)),

fitted by weighted backfitting: each campaign its own level ``m`` (jobs differ in how
hard they recruit), channel and attribute effects shared across the employer's
campaigns and shrunk toward zero (the pooled prior) by a N(0, τ²) prior, so a channel
with few earlier creatives stays near the employer's average; σ² (how far creatives
spread around their channel) by the method of moments, blended with the engine's default
spread. The level of a new campaign is drawn from the spread of the earlier levels.

**Into this campaign** (:func:`inform`). For each channel the prediction
``m₀ + a_c`` (m₀: the new campaign's level, from the earlier levels and whatever this
campaign has shown) is combined by precision with the channel's own estimate from this
campaign. The earlier campaigns' variances are multiplied by a *disagreement factor*
φ ≥ 1: how far this campaign's creatives fall from what the earlier campaigns predict,
in units of the expected spread (a χ²/dof, blended with one degree of freedom of
agreement). A prior the data contradicts thus widens until it counts for little — a
prior must help, never trap.

**Within a campaign** (:func:`family_effects`). Creatives of one family (the same hook
or asset on several channels, ``attributes["family"]``) share part of their quality:
each creative's prior is moved by what its family's *other* members showed against
their channels, shrunk by a N(0, τ_f²) prior (leave-one-out, so no creative counts its
own evidence twice).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter, methodcaller
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analytics.allocation.contract import CHANNELS, AllocationRequest, PriorCampaign
from analytics.allocation.exposure import MaturedExposure
from analytics.allocation.history import History
from analytics.allocation.posteriors import CV2_BOUNDS, DEFAULT_CV2, Evidence, Prior
from koers.isoweeks import week_ordinal

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CHANNEL_CODE = {name: code for code, name in enumerate(CHANNELS)}
ATTRIBUTE_KEYS = ("creative_format", "format", "hook", "employee_generated")
"""Creative attributes whose effects are learned across campaigns (scalar values only)."""
FAMILY_KEY = "family"

CHANNEL_EFFECT_SD = 0.7
"""Prior spread of a channel's log effect around the employer's average (about a factor 2)."""
ATTRIBUTE_EFFECT_SD = 0.3
FAMILY_EFFECT_SD = 0.3
"""Prior spread of a family's shared quality (log scale) within one campaign."""
LEVEL_SD = 0.5
"""Prior spread of a campaign's level around the employer's other campaigns."""
LEVEL_DOF = 1.0
SPREAD_DOF = 2.0
"""Degrees of freedom the engine's default creative spread keeps against earlier data."""
AGREEMENT_DOF = 1.0
"""Degrees of freedom of agreement φ starts from before this campaign's creatives count."""
BACKFIT_ROUNDS = 6


@dataclass(frozen=True)
class Creatives:
    """Per creative of the earlier campaigns: campaign index, channel, attributes, log rate."""

    campaign: IntArray
    channel: IntArray
    combo: IntArray
    """Per creative: the index of its learnable attributes in ``combos``."""
    combos: tuple[tuple[tuple[str, str], ...], ...]
    """The distinct sets of learnable attributes: a hundred thousand earlier creatives
    share a handful, so each set is read, and stored, once."""
    log_rate: FloatArray
    sampling_var: FloatArray
    cluster_size: FloatArray
    """How many creatives of its campaign share its family (1 without one): they share
    a quality, so together they say little more about an attribute than one of them."""

    @property
    def attributes(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """Per creative: its learnable attributes as (key, value) pairs."""
        return tuple(map(self.combos.__getitem__, self.combo.tolist()))


@dataclass(frozen=True)
class LearnedPrior:
    """What the employer's earlier campaigns say about a creative's conversions per euro."""

    campaigns: int
    creatives: int
    level: float
    """Mean log level of a campaign (E[log θ] of a creative with no channel effect)."""
    level_var: float
    channel_effect: Mapping[int, tuple[float, float]]
    """Channel code → (log effect, its variance)."""
    attribute_effect: Mapping[tuple[str, str], tuple[float, float]]
    spread: float
    """σ²: log variance of creatives around channel and attributes."""


@dataclass(frozen=True)
class InformedPrior:
    """Each unit's prior Gamma, and how much the earlier campaigns shaped it."""

    mean: FloatArray
    shape: FloatArray
    history_weight: float
    """Share of the channel estimates' precision that came from earlier campaigns (0-1)."""
    disagreement: float
    """φ: 1 when this campaign agrees with the earlier ones, larger when it does not."""
    campaigns: int
    creatives: int


def attribute_pairs(attributes: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """The learnable attributes of a creative as (key, value) pairs."""
    if not attributes:
        return ()
    pairs = []
    for key in ATTRIBUTE_KEYS:
        value = attributes.get(key)
        if isinstance(value, str | bool | int) and not isinstance(value, float):
            pairs.append((key, str(value).lower()))
    return tuple(pairs)


def family_of(attributes: Mapping[str, Any] | None) -> str | None:
    if not attributes:
        return None
    value = attributes.get(FAMILY_KEY)
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


_DESCRIBED_KEYS = (*ATTRIBUTE_KEYS, FAMILY_KEY)
_NO_ATTRIBUTES: Mapping[str, Any] = {}


@dataclass(frozen=True)
class Descriptions:
    """Creatives' learnable attributes and families, each distinct description once."""

    code: IntArray
    """Per creative: the index of its description in ``pairs`` and ``families``."""
    pairs: list[tuple[tuple[str, str], ...]]
    families: list[str | None]


def describe(found: Sequence[Mapping[str, Any] | None]) -> Descriptions:
    """:func:`attribute_pairs` and :func:`family_of` of each creative, computed once per
    distinct description.

    Earlier campaigns carry up to a hundred thousand creatives described by a handful of
    formats and hooks; reading each description with Python calls per creative cost
    more than the whole allocation. The values are gathered per key by C-level maps and
    keyed by value; a key whose values mix types that compare equal but read
    differently (1, 1.0, True), or an unhashable value, is read one creative at a time.
    """
    described = [each or _NO_ATTRIBUTES for each in found]
    count = len(described)
    names: list[str] = []
    getters: list[Callable[[Mapping[str, Any]], Any]] = []
    for name in _DESCRIBED_KEYS:
        holding = sum(map(operator.contains, described, repeat(name)))
        if holding:  # a key no creative has reads as None for all: left out of the key
            names.append(name)
            getters.append(itemgetter(name) if holding == count else methodcaller("get", name))
    keys: list[Any]
    if any(len(set(map(type, map(get, described))) - {str, type(None)}) > 1 for get in getters):
        keys = [(attribute_pairs(each), family_of(each)) for each in found]
        names = []
    elif len(names) > 1 and all(isinstance(getter, itemgetter) for getter in getters):
        keys = list(map(itemgetter(*names), described))  # one pass, tuples made in C
    else:
        keys = list(zip(*(map(getter, described) for getter in getters), strict=True))
    try:
        index = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    except TypeError:  # an unhashable value (a list as a hook)
        keys = [(attribute_pairs(each), family_of(each)) for each in found]
        names = []
        index = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    pairs: list[tuple[tuple[str, str], ...]] = []
    families: list[str | None] = []
    for key in index:
        if names:
            attributes = dict(zip(names, key, strict=True))
            pairs.append(attribute_pairs(attributes))
            families.append(family_of(attributes))
        else:  # read one creative at a time: the key is (pairs, family)
            pairs.append(key[0])
            families.append(key[1])
    code = np.fromiter(map(index.__getitem__, keys), np.int64, count)
    return Descriptions(code=code, pairs=pairs, families=families)


def learn_from_campaigns(
    request: AllocationRequest, history: History, matured: MaturedExposure
) -> LearnedPrior | None:
    """The engine's stage: what the request's ``prior_campaigns`` teach, or None."""
    if not request.prior_campaigns:
        return None
    creatives = read_creatives(request.prior_campaigns, history.planned, matured.curve.shares)
    return learn(creatives)


def read_creatives(
    campaigns: Sequence[PriorCampaign], planned: int, matured: Sequence[float]
) -> Creatives:
    """Each earlier creative's totals; a young week counts its spend at its matured share.

    Rows are summed per creative with array group-bys: prior campaigns can hold hundreds
    of thousands of rows, and a Python loop over them cost more than the whole allocation.
    """
    lag = len(matured)
    table = np.array([*matured, 1.0])
    ordinals: dict[str, int] = {}
    combo_index: dict[tuple[tuple[str, str], ...], int] = {(): 0}
    family_index: dict[str, int] = {}
    campaign_parts: list[IntArray] = []
    channel_parts: list[IntArray] = []
    combo_parts: list[IntArray] = []
    family_parts: list[IntArray] = []
    spend_parts: list[FloatArray] = []
    conversion_parts: list[FloatArray] = []
    for number, prior in enumerate(campaigns):
        variants = prior.variants
        count = len(variants)
        campaign_parts.append(np.full(count, number, dtype=np.int64))
        channel_parts.append(
            np.fromiter(map(CHANNEL_CODE.__getitem__, map(_CHANNEL, variants)), np.int64, count)
        )
        found = list(map(_ATTRIBUTES, variants))
        if any(found):
            descriptions = describe(found)
            combo_of = [
                combo_index.setdefault(each, len(combo_index)) for each in descriptions.pairs
            ]
            family_of_code = [
                -1 if each is None else family_index.setdefault(each, len(family_index))
                for each in descriptions.families
            ]
            combo_parts.append(np.array(combo_of, dtype=np.int64)[descriptions.code])
            family_parts.append(np.array(family_of_code, dtype=np.int64)[descriptions.code])
        else:  # the common case, without a loop of calls per creative
            combo_parts.append(np.zeros(count, dtype=np.int64))
            family_parts.append(np.full(count, -1, dtype=np.int64))
        columns = prior.columns
        for label in set(columns.week_labels) - ordinals.keys():
            ordinals[label] = week_ordinal(label)
        week = np.array([ordinals[label] for label in columns.week_labels], dtype=np.int64)
        age = planned - week[columns.week] if columns.week.size else columns.week
        share = table[np.clip(age - 1, 0, lag)]
        spend_parts.append(_summed(columns.unit, columns.spend * share, count))
        conversion_parts.append(_summed(columns.unit, columns.conversions, count))
    x = _joined(spend_parts, float)
    y = _joined(conversion_parts, float)
    used = x > 0
    campaign = _joined(campaign_parts, np.int64)[used]
    family = _joined(family_parts, np.int64)[used]
    return Creatives(
        campaign=campaign,
        channel=_joined(channel_parts, np.int64)[used],
        combo=_joined(combo_parts, np.int64)[used],
        combos=tuple(combo_index),
        log_rate=np.log((y[used] + 0.5) / x[used]),
        sampling_var=1.0 / (y[used] + 0.5),
        cluster_size=_cluster_sizes(campaign, family, len(family_index)),
    )


_CHANNEL = itemgetter("channel")
_ATTRIBUTES = methodcaller("get", "attributes")


def _joined(parts: Sequence[NDArray[Any]], dtype: type) -> NDArray[Any]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _cluster_sizes(campaign: IntArray, family: IntArray, families: int) -> FloatArray:
    """Per creative: how many creatives of its campaign share its family (1 without)."""
    sizes = np.ones(campaign.size)
    has = family >= 0
    if has.any():
        key = campaign[has] * families + family[has]
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        sizes[has] = counts[inverse]
    return sizes


def _summed(unit: IntArray, values: FloatArray, units: int) -> FloatArray:
    """``values`` summed per unit (a weighted bincount is float; its stub says int)."""
    return np.asarray(np.bincount(unit, values, units), dtype=float)


def learn(creatives: Creatives, default_cv2: float = DEFAULT_CV2) -> LearnedPrior | None:
    """Fit levels, channel and attribute effects and the spread; None without data."""
    n = creatives.log_rate.size
    if n == 0:
        return None
    ell, s2 = creatives.log_rate, creatives.sampling_var
    campaigns = int(creatives.campaign.max()) + 1
    campaign = creatives.campaign
    default_spread = math.log1p(default_cv2)
    spread = default_spread
    channel_effect = np.zeros(len(CHANNELS))
    # Membership per distinct attribute set, then per creative by indexing: the sets
    # are few, the creatives many.
    present = np.unique(creatives.combo).tolist()
    keys = sorted({pair for code in present for pair in creatives.combos[code]})
    key_index = {key: i for i, key in enumerate(keys)}
    combo_member = np.zeros((len(creatives.combos), len(keys)))
    for code in present:
        for pair in creatives.combos[code]:
            combo_member[code, key_index[pair]] = 1.0
    combo = creatives.combo
    combos = len(creatives.combos)
    attribute_effect = np.zeros(len(keys))
    level = np.zeros(campaigns)
    channel_var = np.full(len(CHANNELS), CHANNEL_EFFECT_SD**2)
    attribute_var = np.full(len(keys), ATTRIBUTE_EFFECT_SD**2)
    seen = np.bincount(creatives.channel, minlength=len(CHANNELS)) > 0
    for _ in range(BACKFIT_ROUNDS):
        weight = 1.0 / (spread + s2)
        attrs = (combo_member @ attribute_effect)[combo] if keys else np.zeros(n)
        residual = ell - channel_effect[creatives.channel] - attrs
        level = np.bincount(campaign, weight * residual, campaigns) / np.bincount(
            campaign, weight, campaigns
        )
        residual = ell - level[campaign] - attrs
        precision = np.bincount(creatives.channel, weight, len(CHANNELS)) + 1 / CHANNEL_EFFECT_SD**2
        channel_effect = (
            np.bincount(creatives.channel, weight * residual, len(CHANNELS)) / precision
        )
        channel_var = 1.0 / precision
        if keys:
            # Every attribute's effect from the others' previous values (as one at a
            # time did), summed per attribute set and then per attribute.
            clustered = weight / creatives.cluster_size
            partial = ell - level[campaign] - channel_effect[creatives.channel]
            mass = combo_member.T @ np.bincount(combo, clustered, combos)
            pull = combo_member.T @ np.bincount(combo, clustered * (partial - attrs), combos)
            precision_key = mass + 1 / ATTRIBUTE_EFFECT_SD**2
            attribute_effect = (pull + attribute_effect * mass) / precision_key
            attribute_var = 1.0 / precision_key
            attrs = (combo_member @ attribute_effect)[combo]
        fitted = level[campaign] + channel_effect[creatives.channel] + attrs
        # Every fitted effect uses up the part of a degree of freedom its data carries.
        fitted_dof = float((1.0 - channel_var[seen] * CHANNEL_EFFECT_SD**-2).sum()) + float(
            (1.0 - attribute_var * ATTRIBUTE_EFFECT_SD**-2).sum()
        )
        dof = max(n - campaigns - fitted_dof, 0.0)
        excess = float(((ell - fitted) ** 2 - s2).sum())
        estimate = max(excess / dof, 0.0) if dof > 0 else default_spread
        spread = (dof * estimate + SPREAD_DOF * default_spread) / (dof + SPREAD_DOF)
        low, high = CV2_BOUNDS
        spread = float(np.clip(spread, math.log1p(low), math.log1p(high)))
    level_mean = float(level.mean())
    level_dev = float(((level - level_mean) ** 2).sum())
    level_var = (level_dev + LEVEL_DOF * LEVEL_SD**2) / (max(campaigns - 1, 0) + LEVEL_DOF)
    return LearnedPrior(
        campaigns=campaigns,
        creatives=n,
        level=level_mean,
        level_var=level_var,
        channel_effect={
            int(c): (float(channel_effect[c]), float(channel_var[c])) for c in np.flatnonzero(seen)
        },
        attribute_effect={
            key: (float(attribute_effect[i]), float(attribute_var[i]))
            for key, i in key_index.items()
        },
        spread=spread,
    )


def inform(
    learned: LearnedPrior,
    own: Prior,
    evidence: Evidence,
    attributes: Sequence[tuple[tuple[str, str], ...]],
) -> InformedPrior:
    """Each unit's prior from the earlier campaigns combined with this campaign's own.

    ``own`` is this campaign's empirical-Bayes prior (:func:`posteriors.estimate_prior`)
    and ``attributes`` the learnable attributes per unit (empty for unlisted units).
    """
    units = evidence.channel.size
    channel = evidence.channel
    known = np.array([c in learned.channel_effect for c in channel.tolist()], dtype=bool)
    effect = np.array(
        [learned.channel_effect.get(int(c), (0.0, CHANNEL_EFFECT_SD**2))[0] for c in channel]
    )
    effect_var = np.array(
        [learned.channel_effect.get(int(c), (0.0, CHANNEL_EFFECT_SD**2))[1] for c in channel]
    )
    bonus = np.zeros(units)
    bonus_var = np.zeros(units)
    for i, pairs in enumerate(attributes):
        for pair in pairs:
            if pair in learned.attribute_effect:
                value, var = learned.attribute_effect[pair]
                bonus[i] += value
                bonus_var[i] += var
    half_spread = 0.5 * learned.spread

    # This campaign's level m₀: the earlier levels, updated by its own creatives.
    x, y = evidence.exposure, evidence.conversions
    has = x > 0
    own_log = np.log((y[has] + 0.5) / np.where(has, x, 1.0)[has])
    own_var = 1.0 / (y[has] + 0.5) + learned.spread + effect_var[has] + bonus_var[has]
    offset = effect[has] + bonus[has]
    precision = 1.0 / learned.level_var + float((1.0 / own_var).sum())
    level = (learned.level / learned.level_var + float(((own_log - offset) / own_var).sum())) / (
        precision
    )
    level_var = 1.0 / precision
    # φ: this campaign's creatives against the earlier campaigns' prediction.
    residual = own_log - level - offset
    chi2 = float((residual**2 / (own_var + level_var)).sum())
    disagreement = max(1.0, (chi2 + AGREEMENT_DOF) / (int(has.sum()) + AGREEMENT_DOF))

    # Per channel: the prediction against this campaign's own channel estimate.
    predicted_log = level + effect + half_spread
    predicted_var = disagreement * (effect_var + level_var)
    predicted_var = np.where(known, predicted_var, np.maximum(predicted_var, LEVEL_SD**2))
    own_channel_log, own_channel_var = _own_channel_estimates(own, evidence)
    has_own = np.isfinite(own_channel_var)
    safe_own_var = np.where(has_own, own_channel_var, 1.0)
    combined_precision = 1.0 / predicted_var + np.where(has_own, 1.0 / safe_own_var, 0.0)
    combined_log = (
        predicted_log / predicted_var + np.where(has_own, own_channel_log / safe_own_var, 0.0)
    ) / combined_precision
    history_weight = (1.0 / predicted_var) / combined_precision

    # The creative's spread around its channel: the earlier campaigns' σ², widened by φ,
    # blended with what this campaign's own creatives show when they show anything.
    spread = disagreement * learned.spread
    if own.campaign_rate is not None:
        own_spread = math.log1p(own.cv2)
        spread = max(spread, 0.5 * (spread + own_spread))
    total_var = spread + 1.0 / combined_precision + disagreement * bonus_var
    cv2 = np.clip(np.expm1(total_var), *CV2_BOUNDS)
    log_mean = combined_log + disagreement**-1 * bonus
    return InformedPrior(
        mean=np.exp(log_mean),
        shape=1.0 / cv2,
        history_weight=float(history_weight[: len(attributes)].mean()) if units else 0.0,
        disagreement=disagreement,
        campaigns=learned.campaigns,
        creatives=learned.creatives,
    )


def _own_channel_estimates(own: Prior, evidence: Evidence) -> tuple[FloatArray, FloatArray]:
    """Per unit: log of its channel's rate in this campaign and that log's variance.

    The variance is Poisson noise on the channel's conversions plus the creatives' spread
    over how many creatives carry the channel's exposure; inf where the channel has none.
    """
    units = evidence.channel.size
    log_rate = np.zeros(units)
    var = np.full(units, np.inf)
    if own.campaign_rate is None:
        return log_rate, var
    for code in np.unique(evidence.channel).tolist():
        members = (evidence.channel == code) & (evidence.exposure > 0)
        total = float(evidence.exposure[members].sum())
        if code < 0 or total <= 0:
            continue
        conversions = float(evidence.conversions[members].sum())
        effective = total**2 / float((evidence.exposure[members] ** 2).sum())
        rows = evidence.channel == code
        log_rate[rows] = math.log((conversions + 0.5) / total)
        var[rows] = 1.0 / (conversions + 0.5) + math.log1p(own.cv2) / effective
    return log_rate, var


def family_effects(
    families: Sequence[str | None], prior_mean: FloatArray, evidence: Evidence
) -> FloatArray:
    """Per unit: the log shift its family's other members suggest (0 without a family).

    Each member's evidence against its own prior mean is a noisy log ratio (variance
    1 / (y + ½) plus the creatives' spread); the others' precision-weighted sum, shrunk by
    a N(0, FAMILY_EFFECT_SD²) prior, is the shift.
    """
    units = len(families)
    shift = np.zeros(units)
    if not any(f is not None for f in families):
        return shift
    x, y = evidence.exposure[:units], evidence.conversions[:units]
    has = x > 0
    ratio = np.where(has, np.log((y + 0.5) / np.where(has, x, 1.0) / prior_mean), 0.0)
    weight = np.where(has, 1.0 / (1.0 / (y + 0.5) + FAMILY_EFFECT_SD**2), 0.0)
    groups: dict[str, list[int]] = {}
    for i, family in enumerate(families):
        if family is not None:
            groups.setdefault(family, []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        index = np.array(members)
        total_w = float(weight[index].sum())
        total_wr = float((weight[index] * ratio[index]).sum())
        others_w = total_w - weight[index]
        others_wr = total_wr - weight[index] * ratio[index]
        shift[index] = others_wr / (others_w + 1.0 / FAMILY_EFFECT_SD**2)
    return shift


def units_attributes(
    variants: Iterable[Mapping[str, Any] | None], units: int
) -> tuple[list[tuple[tuple[str, str], ...]], list[str | None]]:
    """Learnable attributes and family per unit (unlisted units have neither)."""
    pairs: list[tuple[tuple[str, str], ...]] = []
    families: list[str | None] = []
    for attributes in variants:
        pairs.append(attribute_pairs(attributes))
        families.append(family_of(attributes))
    pairs += [()] * (units - len(pairs))
    families += [None] * (units - len(families))
    return pairs, families
