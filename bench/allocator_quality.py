"""Allocation quality on the simulator: share of the oracle, calibration, null campaigns.

Runs every policy on the same seeded campaigns (seeds 1-N; the engine's defaults were
tuned on seeds 1000 and up, never on these) and writes four tables into
docs/benchmarks.md: the share of the oracle's expected conversions per policy, the same
by the campaigns' weekly conversion volume, the calibration of the engine's chance of
being best (over more campaigns: a bin of a few hundred creative-weeks has a sampling
error close to the ±0.05 asked), and how often it declares a winner in campaigns whose
creatives are all identical.

    .venv/bin/python bench/allocator_quality.py [--campaigns 200]
        [--calibration-campaigns 1000] [--workers 2]

With ``--families`` it instead plays the held-out world families (other delay profiles,
fatigue shapes, spreads, creative counts and budgets; ``analytics/simulation/world.py``)
with and without the employer's earlier campaigns, and writes its own section:

    .venv/bin/python bench/allocator_quality.py --families [--campaigns 200]
"""

from __future__ import annotations

import argparse
import math
import time

from _report import write_section

from analytics.allocation import AllocationPolicy
from analytics.simulation.runner import Run
from analytics.simulation.study import (
    EXTRA_POLICIES,
    FAMILY_POLICIES,
    FAMILY_TITLES,
    POLICY_TITLES,
    STANDARD_POLICIES,
    by_volume,
    calibration,
    family_study,
    study,
    summarise,
    winner_rate,
)
from analytics.simulation.world import HELD_OUT_FAMILIES, TUNING_FAMILIES, WORLD_FAMILIES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--calibration-campaigns", type=int, default=1000)
    parser.add_argument("--families", action="store_true")
    args = parser.parse_args()
    if args.families:
        families_report(args.campaigns, args.weeks, args.workers)
        return
    seeds = range(1, args.campaigns + 1)
    started = time.perf_counter()
    policies = (*STANDARD_POLICIES, *EXTRA_POLICIES)
    runs = study(seeds, policies, weeks=args.weeks, workers=args.workers)
    more = range(args.campaigns + 1, args.calibration_campaigns + 1)
    calibration_runs = runs["koers"] + (
        study(more, ("koers",), weeks=args.weeks, workers=args.workers)["koers"] if more else []
    )
    null_runs = study(
        range(100_001, 100_001 + args.campaigns),
        ("koers",),
        weeks=args.weeks,
        workers=args.workers,
        identical=True,
    )["koers"]
    elapsed = time.perf_counter() - started

    thompson = summarise(runs["thompson"])
    lines = [
        f"{args.campaigns} simulated campaigns (seeds 1-{args.campaigns}), {args.weeks} weeks "
        "each: €500-€5,000 a week, 3-12 creatives over 1-3 channels, creatives that tire, "
        "about a third added mid-flight, conversions up to two weeks late "
        "(`analytics/simulation/world.py`). Share = expected conversions of the policy's "
        "amounts under the true rates ÷ the oracle's (whole budget on the truly best live "
        "creative every week).",
        "",
        "| policy | mean | p10 | median | mean - Thompson |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in policies:
        summary = summarise(runs[name])
        lines.append(
            f"| {POLICY_TITLES[name]} | {summary.mean:.3f} | {summary.p10:.3f} | "
            f"{summary.median:.3f} | {summary.mean - thompson.mean:+.3f} |"
        )
    koers = summarise(runs["koers"])
    defaults = AllocationPolicy()
    lines += [
        "",
        f"Acceptance (default policy): mean ≥ 0.92 → **{koers.mean:.3f}** "
        f"({'met' if koers.mean >= 0.92 else 'not met'}); p10 ≥ 0.85 → **{koers.p10:.3f}** "
        f"({'met' if koers.p10 >= 0.85 else 'not met'}).",
        "",
        f"Default policy: max_change {defaults.max_change}, learning_exit_conversions "
        f"{defaults.learning_exit_conversions}, exploration_share "
        f"{defaults.exploration_share}, allocation_rule {defaults.allocation_rule} "
        f"(lookahead_weeks {defaults.lookahead_weeks}), "
        f"fatigue_half_life_weeks {defaults.fatigue_half_life_weeks}. The simulator has no "
        "cost for restarting an ad platform's learning phase, so here the max-change "
        "guardrail can only cost conversions; the ceiling row is a clairvoyant that splits "
        "evenly in week 1 (as any learner must) and then funds the truly best creative "
        "within the default guardrails.",
        "",
        "### By weekly conversion volume",
        "",
        "Campaigns binned by the conversions a week the truly best creative would yield on "
        "the whole budget; mean share of the oracle per policy. Where conversions are few, "
        "every estimate is noisy and learning costs more weeks.",
        "",
        "| conversions a week | campaigns | Koers | Thompson | greedy | ceiling "
        "| Koers - ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    volume_policies = ("koers", "thompson", "greedy", "ceiling")
    for band in by_volume({name: runs[name] for name in volume_policies}, args.weeks):
        span = (
            f"{band.low:.0f}-{band.high:.0f}" if band.high != float("inf") else f"≥ {band.low:.0f}"
        )
        koers_mean, ceiling_mean = band.means["koers"], band.means["ceiling"]
        lines.append(
            f"| {span} | {band.campaigns} | {koers_mean:.3f} | {band.means['thompson']:.3f} | "
            f"{band.means['greedy']:.3f} | {ceiling_mean:.3f} | {koers_mean - ceiling_mean:+.3f} |"
        )
    lines += [
        "",
        "### Calibration of the chance of being best (Koers engine, default policy)",
        "",
        f"{len(calibration_runs)} campaigns (seeds 1-{len(calibration_runs)}). Every creative "
        "in every week with at least two live creatives, binned by the stated chance of being "
        "best; observed = how often that creative truly was the best that week; ± = the 95% "
        "sampling error of the observed share for a perfectly calibrated engine "
        "(1.96 √(p(1-p)/n)).",
        "",
        "| stated chance | creative-weeks | mean stated | observed | difference | ± (95%) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    bins = calibration(calibration_runs)
    for row in bins:
        error = 1.96 * math.sqrt(row.predicted * (1 - row.predicted) / row.count)
        lines.append(
            f"| {row.low:.1f}-{row.high:.1f} | {row.count} | {row.predicted:.3f} | "
            f"{row.observed:.3f} | {row.observed - row.predicted:+.3f} | {error:.3f} |"
        )
    worst = max(bins, key=lambda row: abs(row.observed - row.predicted))
    gap = worst.observed - worst.predicted
    lines += [
        "",
        f"Acceptance (every bin within ±0.05): worst {worst.low:.1f}-{worst.high:.1f} at "
        f"{gap:+.3f} ({'met' if abs(gap) <= 0.05 else 'not met'}).",
    ]
    rate = winner_rate(null_runs)
    lines += [
        "",
        "### Null campaigns (all creatives identical)",
        "",
        f"{len(null_runs)} campaigns (seeds 100001-{100_000 + len(null_runs)}) whose "
        "creatives share one channel, one cost per click, one conversion rate and one "
        f"fatigue: a winner was declared (in any week) in **{rate:.1%}** of them "
        f"(acceptance ≤ 5%: {'met' if rate <= 0.05 else 'not met'}).",
        "",
        f"Runtime: {elapsed:.0f} s with {args.workers} worker process(es).",
    ]
    markdown = "\n".join(lines)
    print(markdown)
    write_section("allocator-quality", "Allocator quality (simulator)", markdown)


def _verdict(ok: bool) -> str:
    return "met" if ok else "not met"


def _calibration_lines(runs: list[Run], title: str) -> tuple[list[str], float]:
    bins = calibration(runs)
    lines = [
        f"{title}: every creative-week with at least two live creatives.",
        "",
        "| stated chance | creative-weeks | mean stated | observed | difference | ± (95%) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in bins:
        error = 1.96 * math.sqrt(row.predicted * (1 - row.predicted) / row.count)
        lines.append(
            f"| {row.low:.1f}-{row.high:.1f} | {row.count} | {row.predicted:.3f} | "
            f"{row.observed:.3f} | {row.observed - row.predicted:+.3f} | {error:.3f} |"
        )
    worst = max((abs(row.observed - row.predicted) for row in bins), default=0.0)
    return lines, worst


def families_report(campaigns: int, weeks: int, workers: int) -> None:
    """Held-out families, seeds 1-N, with and without earlier campaigns; its own section."""
    started = time.perf_counter()
    seeds = range(1, campaigns + 1)
    results = {
        family: family_study(family, seeds, FAMILY_POLICIES, weeks=weeks, workers=workers)
        for family in HELD_OUT_FAMILIES
    }
    null_seeds = range(100_001, 100_001 + max(campaigns // len(HELD_OUT_FAMILIES), 1))
    nulls = {
        family: family_study(
            family,
            null_seeds,
            ("koers", "koers-prior"),
            weeks=weeks,
            workers=workers,
            identical=True,
        )
        for family in HELD_OUT_FAMILIES
    }
    elapsed = time.perf_counter() - started
    lines = [
        "Held out: the engine's settings and the priors' constants were chosen on the "
        f"tuning families ({', '.join(TUNING_FAMILIES)}) with seeds 1000 and up; every "
        f"figure here is on the held-out families and seeds 1-{campaigns} "
        f"({campaigns} campaigns per family, {weeks} weeks each). Every campaign belongs "
        "to an employer whose campaigns share channel levels and what formats, hooks and "
        'employee-made creatives do; "earlier campaigns" are 1-3 of its campaigns of the '
        "same family, run before with an uneven fixed split. A misleading prior is one "
        "campaign of another employer.",
        "",
        "| family | what differs |",
        "|---|---|",
    ]
    for family in HELD_OUT_FAMILIES:
        lines.append(f"| {family} | {WORLD_FAMILIES[family].description} |")
    lines += [
        "",
        "Share of the oracle (mean / p10); Δ = mean - Thompson on the same campaigns.",
        "",
        "| family | policy | mean | p10 | Δ Thompson |",
        "|---|---|---:|---:|---:|",
    ]
    checks: list[str] = []
    for family, runs in results.items():
        thompson = summarise(runs["thompson"])
        for name in FAMILY_POLICIES:
            summary = summarise(runs[name])
            lines.append(
                f"| {family} | {FAMILY_TITLES[name]} | {summary.mean:.3f} | {summary.p10:.3f} | "
                f"{summary.mean - thompson.mean:+.3f} |"
            )
        plain = summarise(runs["koers"])
        checks.append(
            f"- {family}, no earlier campaigns: ≥ 0.03 above Thompson → "
            f"**{plain.mean - thompson.mean:+.3f}** ({_verdict(plain.mean - thompson.mean >= 0.03)}"
            f"); p10 not below Thompson's → **{plain.p10:.3f}** vs {thompson.p10:.3f} "
            f"({_verdict(plain.p10 >= thompson.p10)})."
        )
        misleading = summarise(runs["koers-misleading"])
        checks.append(
            f"- {family}, misleading prior costs ≤ 0.01 → "
            f"**{plain.mean - misleading.mean:+.3f}** "
            f"({_verdict(plain.mean - misleading.mean <= 0.01)})."
        )
    pooled: dict[str, list[Run]] = {
        name: [r for runs in results.values() for r in runs[name]] for name in FAMILY_POLICIES
    }
    prior, thompson_all = summarise(pooled["koers-prior"]), summarise(pooled["thompson"])
    lines += [
        "",
        f"All held-out families together ({len(pooled['koers-prior'])} campaigns):",
        "",
        "| policy | mean | p10 | Δ Thompson |",
        "|---|---:|---:|---:|",
    ]
    for name in FAMILY_POLICIES:
        summary = summarise(pooled[name])
        lines.append(
            f"| {FAMILY_TITLES[name]} | {summary.mean:.3f} | {summary.p10:.3f} | "
            f"{summary.mean - thompson_all.mean:+.3f} |"
        )
    lines += [
        "",
        "Acceptance (held-out):",
        f"- with earlier campaigns: mean ≥ 0.93 → **{prior.mean:.3f}** "
        f"({_verdict(prior.mean >= 0.93)}); p10 ≥ 0.86 → **{prior.p10:.3f}** "
        f"({_verdict(prior.p10 >= 0.86)}); ≥ 0.05 above Thompson → "
        f"**{prior.mean - thompson_all.mean:+.3f}** "
        f"({_verdict(prior.mean - thompson_all.mean >= 0.05)}).",
        *checks,
    ]
    for name, title in (("koers", "without"), ("koers-prior", "with")):
        table, worst = _calibration_lines(
            pooled[name], f"Calibration {title} earlier campaigns (held-out families)"
        )
        lines += [
            "",
            *table,
            "",
            f"Acceptance (every bin within ±0.05): worst {worst:.3f} ({_verdict(worst <= 0.05)}).",
        ]
    lines += ["", "Null campaigns (all creatives alike; earlier campaigns alike too):", ""]
    for name, title in (("koers", "without"), ("koers-prior", "with")):
        null_runs = [r for runs in nulls.values() for r in runs[name]]
        rate = winner_rate(null_runs)
        lines.append(
            f"- {title} earlier campaigns: a winner declared in **{rate:.1%}** of "
            f"{len(null_runs)} (acceptance ≤ 5%: {_verdict(rate <= 0.05)})."
        )
    lines += ["", f"Runtime: {elapsed:.0f} s with {workers} worker process(es)."]
    markdown = "\n".join(lines)
    print(markdown)
    write_section(
        "allocator-quality-families", "Allocator quality on held-out world families", markdown
    )


if __name__ == "__main__":
    main()
