"""The allocators the benchmark compares, all behind one interface.

Every policy sees exactly what a caller of the engine would send (an
:class:`AllocationRequest`) and returns euro amounts per creative.

* ``KoersPolicy``: the engine, with its memory of earlier calls, as the service runs it.
* ``EqualSplit``: the budget divided evenly over the listed creatives.
* ``Greedy``: everything on the lowest observed cost per conversion so far; a creative
  without spend yet gets an even part for one week first.
* ``TextbookThompson``: randomised probability matching on conversions per euro (Scott
  2010): each creative's share is its chance of being best under an independent
  Gamma(1 + conversions, 1 + spend) posterior of the raw counts — no pooling, no
  discounting, no correction for late conversions, no guardrails.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from analytics.allocation import AllocationMemory, AllocationPolicy, AllocationRequest, allocate
from analytics.allocation.contract import CHANNELS
from analytics.allocation.guardrails import shape_budget
from analytics.allocation.pbest import probability_best
from koers.isoweeks import shift_week


@dataclass(frozen=True)
class Proposal:
    """A policy's amounts, and its chances of being best and winner when it has them."""

    allocation: dict[str, float]
    p_best: dict[str, float] | None = None
    winner: str | None = None


class Policy(Protocol):
    name: str

    def propose(self, request: AllocationRequest) -> Proposal: ...


class KoersPolicy:
    """The Koers engine, remembering earlier calls for the campaign."""

    def __init__(self, policy: AllocationPolicy | None = None, name: str = "Koers engine") -> None:
        self.name = name
        self.policy = policy
        self.memory = AllocationMemory()

    def propose(self, request: AllocationRequest) -> Proposal:
        if self.policy is not None:
            request = request.model_copy(update={"policy": self.policy})
        response = allocate(request, self.memory)
        return Proposal(response.allocation, response.p_best, response.winner)


class EqualSplit:
    name = "Equal split"

    def propose(self, request: AllocationRequest) -> Proposal:
        share = request.budget / len(request.variants)
        return Proposal({v.variant_id: share for v in request.variants})


def _totals(request: AllocationRequest) -> tuple[dict[str, float], dict[str, float]]:
    spend: dict[str, float] = defaultdict(float)
    conversions: dict[str, float] = defaultdict(float)
    for row in request.history:
        spend[row["variant_id"]] += row["spend"]
        conversions[row["variant_id"]] += row["conversions"]
    return spend, conversions


class Greedy:
    name = "Greedy (lowest observed cost per conversion)"

    def propose(self, request: AllocationRequest) -> Proposal:
        spend, conversions = _totals(request)
        ids = [v.variant_id for v in request.variants]
        untried = [i for i in ids if spend[i] <= 0]
        budget = request.budget
        amounts = dict.fromkeys(ids, 0.0)
        trial = budget / len(ids)
        for variant_id in untried:
            amounts[variant_id] = trial
        rest = budget - trial * len(untried)
        tried = [i for i in ids if spend[i] > 0]
        if not tried:
            return Proposal({i: budget / len(ids) for i in ids})
        best = min(tried, key=lambda i: spend[i] / conversions[i] if conversions[i] > 0 else np.inf)
        if conversions[best] <= 0:  # nothing converted yet: keep splitting evenly
            for variant_id in tried:
                amounts[variant_id] += rest / len(tried)
        else:
            amounts[best] += rest
        return Proposal(amounts)


class TextbookThompson:
    name = "Textbook Thompson sampling"

    def propose(self, request: AllocationRequest) -> Proposal:
        spend, conversions = _totals(request)
        ids = [v.variant_id for v in request.variants]
        shape = np.array([1.0 + conversions[i] for i in ids])
        rate = np.array([1.0 + spend[i] for i in ids])
        chances = probability_best(shape, rate)
        return Proposal(
            {i: float(p) * request.budget for i, p in zip(ids, chances, strict=True)},
            {i: float(p) for i, p in zip(ids, chances, strict=True)},
        )


class ClairvoyantWithinGuardrails:
    """Knows every creative's true rate but obeys the engine's guardrails.

    Not a contender: it is the ceiling any engine that keeps the default guardrails can
    reach, separating what the guardrails cost from what the statistics cost.
    """

    name = "Clairvoyant within the guardrails (ceiling)"

    def __init__(
        self, true_rates: Callable[[str], dict[str, float]], policy: AllocationPolicy | None = None
    ) -> None:
        self.true_rates = true_rates
        self.policy = policy or AllocationPolicy()

    def propose(self, request: AllocationRequest) -> Proposal:
        rates = self.true_rates(request.week)
        ids = [v.variant_id for v in request.variants]
        best = max(ids, key=lambda i: rates[i])
        targets = np.array([1.0 if i == best else 0.0 for i in ids])
        previous = np.array(
            [(request.previous_allocation or {}).get(i, np.nan) for i in ids], dtype=float
        )
        codes = {name: code for code, name in enumerate(CHANNELS)}
        protected = None
        if self.policy.learning_exit_conversions is not None:  # the engine's own rule
            last = shift_week(request.week, -1)
            recent = {
                r["variant_id"]: r["conversions"] for r in request.history if r["week"] == last
            }
            protected = np.array(
                [recent.get(i, 0.0) >= self.policy.learning_exit_conversions for i in ids]
            )
        shaped = shape_budget(
            targets,
            request.budget,
            np.array([codes[v.channel] for v in request.variants], dtype=np.int64),
            previous,
            exploration_share=self.policy.exploration_share,
            min_spend=self.policy.min_spend,
            max_change=self.policy.max_change,
            channel_caps={codes[c]: s for c, s in self.policy.channel_caps.items()},
            protected=protected,
        )
        return Proposal({i: float(a) for i, a in zip(ids, shaped.amounts, strict=True)})
