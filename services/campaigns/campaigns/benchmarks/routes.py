"""Benchmarks in the console: an owner joins or leaves (settings), and the employer's
page with its sector's published cells."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from campaigns.benchmarks import repository
from campaigns.benchmarks.domain import MIN_EMPLOYERS, MIN_VOLUME, SECTORS
from campaigns.benchmarks.service import BenchmarkPanel, set_participation
from campaigns.catalog.audience import CHANNEL_LABELS, REGION_LABELS
from campaigns.tenancy.deps import ConsoleOwner, ConsoleUser
from campaigns.web.csrf import check_csrf
from campaigns.web.deps import ClockDep, EngineDep
from campaigns.web.flash import flash
from campaigns.web.forms import FormField
from campaigns.web.rendering import redirect, render

router = APIRouter(include_in_schema=False)

LABELS: dict[str, Any] = {
    "sector_labels": SECTORS,
    "region_labels": REGION_LABELS,
    "channel_labels": CHANNEL_LABELS,
}
"""The words the benchmark templates show for stored codes (translated there)."""


def panel_context(panel: BenchmarkPanel) -> dict[str, Any]:
    """What a page needs to show the benchmark panel (``_benchmarks.html``)."""
    return {"benchmarks": panel, **LABELS}


def settings_context(conn: Connection, tenant_id: str) -> dict[str, Any]:
    """The settings page's benchmark section: the employer's choice and the sectors."""
    return {"participation": repository.participation_of(conn, tenant_id), **LABELS}


@router.post("/settings/benchmarks", name="benchmark_settings")
def save_benchmark_settings(
    request: Request,
    user: ConsoleOwner,
    engine: EngineDep,
    clock: ClockDep,
    csrf_token: FormField = "",
    opted_in: Annotated[str, Form(max_length=10)] = "",
    sector: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Join or leave the benchmarks across employers, in a sector (audited)."""
    check_csrf(request.session, csrf_token)
    choice = set_participation(
        engine,
        user.tenant_id,
        opted_in=opted_in == "yes",
        sector=sector,
        actor=user.actor,
        now=clock(),
    )
    if choice.opted_in:
        flash(request, "You take part; your figures count from the next weekly refresh.", "ok")
    else:
        flash(request, "You do not take part; your figures no longer count.", "ok")
    return redirect(request, "benchmarks")


@router.get("/benchmarks", name="benchmarks")
def benchmarks_page(request: Request, user: ConsoleUser, engine: EngineDep) -> Response:
    """The employer's sector benchmarks, group by group, and whether it takes part."""
    with engine.connect() as conn:
        choice = repository.participation_of(conn, user.tenant_id)
        snapshot = (
            repository.cells_of_sector(conn, choice.sector)
            if choice.opted_in and choice.sector
            else None
        )
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for key, cell in sorted((snapshot.cells if snapshot else {}).items()):
        groups.setdefault((key.region, key.channel), {})[key.metric] = cell
    context = {
        "participation": choice,
        "snapshot": snapshot,
        "groups": groups,
        "min_employers": MIN_EMPLOYERS,
        "min_volume": MIN_VOLUME,
        "can_manage": user.can("manage_tenant"),
        **LABELS,
    }
    return render(request, "benchmarks.html", context, user=user)
