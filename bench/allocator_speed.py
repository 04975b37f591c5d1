"""Allocation time for 1,000 and 10,000 creatives: one call, one core, median of runs.

Each campaign has four weeks of history per creative (spend, clicks, conversions drawn
around realistic rates) and last week's amounts, so every step runs: maturity, fatigue,
the empirical-Bayes prior, the chance of being best, the guardrails and the explanation.
Times are for ``allocate`` on an already validated request (what the API and CLI call
after parsing); request validation and response serialisation are reported beside it.
Earlier campaigns (``prior_campaigns``) are measured on both ways in: JSON text (the API
and the CLI, validated row by row) and in process the way analytics' weekly proposal
sends its own stored facts (``PriorCampaign.trusted``, checked on whole columns).

    .venv/bin/python bench/allocator_speed.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
from _report import write_section
from pydantic_core import from_json

from analytics.allocation import AllocationRequest, allocate, cycles
from analytics.allocation.contract import PriorCampaign

CHANNELS = ("linkedin", "instagram", "tiktok", "facebook", "snapchat", "indeed")
FORMATS = ("video", "image", "carousel")
HOOKS = ("salary", "team", "growth", "flexibility")


def build(count: int, seed: int = 1, weeks: int = 4) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    rate = rng.lognormal(np.log(0.03), 0.5, count)
    budget = 40.0 * count
    variants, history = [], []
    previous = {}
    for i in range(count):
        variant_id = f"v{i}"
        variants.append(
            {"variant_id": variant_id, "channel": CHANNELS[i % 6], "created_week": "2026-W40"}
        )
        previous[variant_id] = round(budget / count, 2)
        for week in range(48 - weeks, 48):
            spend = float(rng.uniform(20, 60))
            clicks = int(rng.poisson(spend / 0.8))
            history.append(
                {
                    "variant_id": variant_id,
                    "week": f"2026-W{week}",
                    "spend": round(spend, 2),
                    "impressions": clicks * 60,
                    "clicks": clicks,
                    "conversions": int(rng.poisson(rate[i] * spend)),
                }
            )
    return {
        "campaign_id": f"speed-{count}",
        "week": "2026-W48",
        "budget": budget,
        "variants": variants,
        "history": history,
        "previous_allocation": previous,
    }


def with_priors(body: dict[str, object], campaigns: int = 10) -> dict[str, object]:
    """``body`` with ``campaigns`` earlier campaigns of the same size (weeks 2026-W1 on)."""
    count = len(body["variants"])  # type: ignore[arg-type]
    earlier = []
    for number in range(campaigns):
        other = build(count, seed=100 + number)
        shift = 40 - 4 * number
        for row in other["history"]:  # type: ignore[attr-defined]
            row["week"] = f"2026-W{int(row['week'][6:]) - shift:02d}"
        # Described the way analytics' weekly proposal describes earlier creatives.
        for i, variant in enumerate(other["variants"]):  # type: ignore[attr-defined]
            variant["attributes"] = {
                "creative_format": FORMATS[i % 3],
                "hook": HOOKS[i % 4],
                "employee_generated": i % 5 == 0,
            }
        earlier.append(
            {
                "campaign_id": f"earlier-{number + 1}",
                "variants": other["variants"],
                "history": other["history"],
            }
        )
    return {**body, "prior_campaigns": earlier}


def analytics_request(body: dict[str, object]) -> AllocationRequest:
    """The request as analytics' weekly proposal builds it (``proposals.domain``): its own
    stored facts' earlier campaigns as :meth:`PriorCampaign.trusted`, the rest validated
    as usual, with the cycle collector paused as ``build_request`` pauses it."""
    with cycles.paused():
        priors = [
            PriorCampaign.trusted(**each)
            for each in body.get("prior_campaigns", [])  # type: ignore[attr-defined]
        ]
        return AllocationRequest.model_validate({**body, "prior_campaigns": priors})


def end_to_end(raw: str) -> str:
    """What the CLI and the API do per request: parse and validate, allocate, serialise."""
    return allocate(AllocationRequest.model_validate_json(raw)).model_dump_json()


def median_seconds(action, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median CPU time and median wall time of ``runs`` calls.

    CPU time is what the call costs on one core; wall time also counts waiting for a
    core shared with other processes (this machine is shared), so both are reported.
    """
    cpu, wall = [], []
    for _ in range(runs):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        action()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    lines = [
        f"One `allocate` call on one core (pinned), median of {args.runs} runs after a warm-up; "
        "4 weeks of history per creative.",
        "",
        "| creatives | history rows | allocate (CPU) | allocate (wall) | target | "
        "validate request (CPU) | serialise response (CPU) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for count, target in ((1_000, 0.1), (10_000, 1.0)):
        body = build(count)
        request = AllocationRequest.model_validate(body)
        response = allocate(request)  # warm-up
        engine, engine_wall = median_seconds(lambda request=request: allocate(request), args.runs)
        validate, _ = median_seconds(lambda body=body: AllocationRequest.model_validate(body), 3)
        serialise, _ = median_seconds(lambda response=response: response.model_dump_json(), 3)
        verdict = "met" if engine < target else "NOT met"
        lines.append(
            f"| {count:,} | {len(request.history):,} | {engine * 1000:.0f} ms | "
            f"{engine_wall * 1000:.0f} ms | < {target * 1000:.0f} ms ({verdict}) | "
            f"{validate * 1000:.0f} ms | {serialise * 1000:.0f} ms |"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines += [
        "",
        "End to end (JSON text in, JSON text out: parsing, validation, allocation and "
        "serialisation), CPU time, median of the same runs:",
        "",
        "| request | creatives | history rows | prior rows | end to end | target | "
        "JSON text to Python objects alone |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    cases = (
        ("4 weeks", build(10_000), 0.5),
        ("12 weeks", build(1_000, weeks=12), 0.1),
    )
    plain_times = {}
    for label, body, target in cases:
        raw = json.dumps(body)
        end_to_end(raw)
        spent, _ = median_seconds(lambda raw=raw: end_to_end(raw), args.runs)
        parsed, _ = median_seconds(lambda raw=raw: from_json(raw), 3)
        plain_times[label] = spent
        rows = len(body["history"])  # type: ignore[arg-type]
        lines.append(
            f"| {label} | {len(body['variants']):,} | {rows:,} | 0 | "  # type: ignore[arg-type]
            f"{spent * 1000:.0f} ms | < {target * 1000:.0f} ms "
            f"({'met' if spent < target else 'NOT met'}) | {parsed * 1000:.0f} ms |"
        )
    judged: list[str] = []
    for label, body, _target in cases:
        prior_body = with_priors(body)
        raw = json.dumps(prior_body)
        end_to_end(raw)
        spent, _ = median_seconds(lambda raw=raw: end_to_end(raw), max(args.runs // 2, 1))
        parsed, _ = median_seconds(lambda raw=raw: from_json(raw), 3)
        limit = 1.5 * plain_times[label]
        change = spent / plain_times[label] - 1
        judged.append(
            f"{label}, JSON text: +{change * 100:.0f}% ({'met' if spent <= limit else 'NOT met'})"
        )
        prior_rows = sum(len(p["history"]) for p in prior_body["prior_campaigns"])  # type: ignore[attr-defined]
        lines.append(
            f"| {label} + 10 earlier campaigns | {len(body['variants']):,} | "  # type: ignore[arg-type]
            f"{len(body['history']):,} | {prior_rows:,} | {spent * 1000:.0f} ms | "  # type: ignore[arg-type]
            f"≤ +50% = {limit * 1000:.0f} ms ({'met' if spent <= limit else 'NOT met'}) | "
            f"{parsed * 1000:.0f} ms |"
        )
    lines += [
        "",
        "The last column is the least any Python reader pays: pydantic's JSON parser "
        "(jiter) turning the text into plain dicts and lists, without validating anything. "
        "Ten earlier campaigns of the same size are ten times the text, so that step alone "
        "takes about the whole time allowed with them; every row is then validated one by one "
        "(the API and the CLI take untrusted text). Earlier creatives carry the attributes "
        "analytics sends (format, hook, employee-generated).",
        "",
        "In process, CPU time, median of the same runs. Analytics' weekly proposal builds "
        "the request from Python objects: its earlier campaigns are its own stored weekly "
        "facts, validated when stored, and go in by `PriorCampaign.trusted` (limits checked "
        "on whole columns, no row-by-row validation), and it builds the request with the "
        "cycle collector paused (its baseline without earlier campaigns too). "
        '"strict" is the same dicts through `AllocationRequest.model_validate`, as any '
        "other Python caller would send them, judged against the same baseline. "
        '"build" is the request\'s construction and validation, "allocate" the engine on '
        "it; building the row dicts from the database is not counted (nor is it for the "
        "request's own history):",
        "",
        "| request | earlier campaigns | way in | build | allocate | total | vs none | target |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for label, body, _target in cases:
        prior_body = with_priors(body)
        ways = (
            ("none", "analytics", lambda body=body: analytics_request(body)),
            (
                "10",
                "analytics (trusted)",
                lambda prior_body=prior_body: analytics_request(prior_body),
            ),
            (
                "10",
                "strict (model_validate)",
                lambda prior_body=prior_body: AllocationRequest.model_validate(prior_body),
            ),
        )
        base = 0.0
        for campaigns, way, make in ways:
            request = make()
            allocate(request)
            total, _ = median_seconds(lambda make=make: allocate(make()), args.runs)
            built, _ = median_seconds(make, 3)
            engine, _ = median_seconds(lambda request=request: allocate(request), 3)
            if campaigns == "none":
                base = total
                extra, target_cell = "", ""
            else:
                change = total / base - 1
                met = "met" if change <= 0.5 else "NOT met"
                extra = f"+{change * 100:.0f}%"
                target_cell = f"≤ +50% ({met})"
                judged.append(f"{label}, in process {way}: +{change * 100:.0f}% ({met})")
            lines.append(
                f"| {label} | {campaigns} | {way} | {built * 1000:.0f} ms | "
                f"{engine * 1000:.0f} ms | {total * 1000:.0f} ms | {extra} | {target_cell} |"
            )
    lines += [
        "",
        "+50% for ten earlier campaigns, per way in: " + "; ".join(judged) + ".",
        "",
        f"Load average (1 min) when measured: {load:.1f} at the start, "
        f"{os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan'):.1f} at the end, "
        f"on {os.cpu_count()} CPUs.",
    ]
    markdown = "\n".join(lines)
    print(markdown)
    write_section("allocator-speed", "Allocator speed", markdown)


if __name__ == "__main__":
    main()
