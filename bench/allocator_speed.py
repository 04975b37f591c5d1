"""Allocation time for 1,000 and 10,000 creatives: one call, one core, median of runs.

Each campaign has four weeks of history per creative (spend, clicks, conversions drawn
around realistic rates) and last week's amounts, so every step runs: maturity, fatigue,
the empirical-Bayes prior, the chance of being best, the guardrails and the explanation.
Times are for ``allocate`` on an already validated request (what the API and CLI call
after parsing); request validation and response serialisation are reported beside it.

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

from analytics.allocation import AllocationRequest, allocate

CHANNELS = ("linkedin", "instagram", "tiktok", "facebook", "snapchat", "indeed")


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
        earlier.append(
            {
                "campaign_id": f"earlier-{number + 1}",
                "variants": other["variants"],
                "history": other["history"],
            }
        )
    return {**body, "prior_campaigns": earlier}


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
    for label, body, _target in cases:
        prior_body = with_priors(body)
        raw = json.dumps(prior_body)
        end_to_end(raw)
        spent, _ = median_seconds(lambda raw=raw: end_to_end(raw), max(args.runs // 2, 1))
        parsed, _ = median_seconds(lambda raw=raw: from_json(raw), 3)
        limit = 1.5 * plain_times[label]
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
        "can exceed the +50% allowed for them. Validation reads history rows as dicts and "
        "checks them on whole columns; earlier campaigns' rows are summed with array "
        "group-bys.",
        "",
        "In process (what analytics does for its weekly proposal: it builds the request "
        "from Python objects, no JSON text), CPU time, median of the same runs; "
        '"validate" is `AllocationRequest.model_validate` on those objects, "allocate" '
        "the engine on the validated request:",
        "",
        "| request | validate + allocate | of which validate | of which allocate | "
        "with 10 earlier campaigns | of which validate | of which allocate | "
        "prior cost | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, body, _target in cases:
        prior_body = with_priors(body)
        row = [label]
        totals = []
        for each in (body, prior_body):
            request = AllocationRequest.model_validate(each)
            allocate(request)
            total, _ = median_seconds(
                lambda each=each: allocate(AllocationRequest.model_validate(each)),
                max(args.runs // 2, 1),
            )
            validate, _ = median_seconds(
                lambda each=each: AllocationRequest.model_validate(each), 3
            )
            engine, _ = median_seconds(lambda request=request: allocate(request), 3)
            totals.append(total)
            row += [
                f"{total * 1000:.0f} ms",
                f"{validate * 1000:.0f} ms",
                f"{engine * 1000:.0f} ms",
            ]
        extra = totals[1] / totals[0] - 1
        row += [f"+{extra * 100:.0f}%", f"≤ +50% ({'met' if extra <= 0.5 else 'NOT met'})"]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "Neither path meets +50% for ten earlier campaigns of the same size: checking "
        "400,000 earlier rows one by one (pydantic, in Rust) costs more than the whole "
        "allocation of 10,000 creatives, and what the engine itself adds for them "
        '("of which allocate") is the smaller part.',
        "",
        f"Load average (1 min) when measured: {load:.1f} on {os.cpu_count()} CPUs.",
    ]
    markdown = "\n".join(lines)
    print(markdown)
    write_section("allocator-speed", "Allocator speed", markdown)


if __name__ == "__main__":
    main()
