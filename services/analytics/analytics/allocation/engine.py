"""``allocate(request) -> response``: next week's budget split, from counts alone.

A pipeline of stages, each a function in its own module returning a frozen record:

1. :func:`history.read_history` → :class:`~history.History`: the rows as arrays, with
   each creative's channel and first live week;
2. :func:`exposure.mature_exposure` → :class:`~exposure.MaturedExposure`: the share of
   each week's conversions that has arrived (:mod:`maturity`);
3. :func:`exposure.discount_fatigue` → :class:`~exposure.FatigueDiscount`: exposure at
   the rate a tiring creative likely converts at now, and the age discount
   (:mod:`fatigue`), its half-life learned from the campaign's weeks (:mod:`forgetting`);
4. :func:`priors.learn_from_campaigns` → :class:`~priors.LearnedPrior` or None: what the
   employer's earlier campaigns (``prior_campaigns``) say about channels and attributes;
   :func:`beliefs.form_beliefs` → :class:`~beliefs.Beliefs`: each week weighed against
   week-to-week noise, an empirical-Bayes prior per channel and Gamma posteriors
   (:mod:`posteriors`);
5. :func:`pbest.compare` → :class:`~pbest.Comparison`: the chance of being best, by
   quadrature;
6. :func:`targets.set_targets` → :class:`~targets.Targets`: the allocation rule
   (:mod:`exploration`, or shares ∝ p_best ** power);
7. :func:`plan.guard_targets` → :class:`~plan.Plan`: euros within the guardrails
   (:mod:`guardrails`);
8. :func:`stopping.judge` → :class:`~stopping.Verdict` and
   :func:`drift.latest_week_drifts`: the stopping rule and the latest week's surprises;
9. :func:`response.respond`: the response with its explanation (:mod:`explain`).

No I/O and no global state: the optional ``memory`` is the caller's object. Python's
cycle collector is paused for the call (:mod:`cycles`): it cost a third of a large call.
"""

from __future__ import annotations

from analytics.allocation import cycles, pbest, stopping
from analytics.allocation.beliefs import form_beliefs
from analytics.allocation.contract import AllocationRequest, AllocationResponse
from analytics.allocation.drift import latest_week_drifts
from analytics.allocation.exposure import discount_fatigue, mature_exposure
from analytics.allocation.history import read_history
from analytics.allocation.memory import AllocationMemory
from analytics.allocation.plan import guard_targets
from analytics.allocation.priors import learn_from_campaigns
from analytics.allocation.response import Findings, respond
from analytics.allocation.targets import set_targets


def allocate(
    request: AllocationRequest, memory: AllocationMemory | None = None
) -> AllocationResponse:
    """Propose next week's split of ``request.budget`` over ``request.variants``."""
    with cycles.paused():
        return _allocate(request, memory)


def _allocate(request: AllocationRequest, memory: AllocationMemory | None) -> AllocationResponse:
    policy = request.policy
    history = read_history(request)
    matured = mature_exposure(request, history, memory)
    exposure = discount_fatigue(policy, history, matured)
    learned = learn_from_campaigns(request, history, matured)
    beliefs = form_beliefs(
        policy, history, exposure, learned, [variant.attributes for variant in request.variants]
    )
    comparison = pbest.compare(beliefs.posterior.shape, beliefs.posterior.rate)
    targets = set_targets(request, beliefs, comparison, matured)
    plan = guard_targets(request, history, comparison, targets)
    verdict = stopping.judge(
        comparison.p_best,
        beliefs.posterior.mean,
        comparison.expected_max,
        winner_threshold=policy.winner_threshold,
        value_remaining_threshold=policy.value_remaining_threshold,
        has_evidence=beliefs.has_evidence,
    )
    drifts = latest_week_drifts(history, exposure, beliefs)
    findings = Findings(
        history, matured, beliefs, comparison, targets, plan, verdict, drifts, exposure.forgetting
    )
    return respond(request, findings)
