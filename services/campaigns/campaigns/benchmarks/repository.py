"""Who takes part in the benchmarks (and in which sector), and the published cells.

Only published cells are stored: per cell its pooled figure, interval and how many
employers stand behind it. No employer's own contribution is ever written down; the
weekly refresh computes them in memory and keeps the aggregates alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.benchmarks.domain import Cell, CellKey
from campaigns.schema import metadata
from koers.db import UtcDateTime, upsert

benchmark_participation = sa.Table(
    "benchmark_participation",
    metadata,
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
    sa.Column("opted_in", sa.Boolean, nullable=False),
    sa.Column("sector", sa.String(20), nullable=True),
    sa.Column("changed_by", sa.String(320), nullable=False),
    sa.Column("changed_at", UtcDateTime(), nullable=False),
)

benchmark_cells = sa.Table(
    "benchmark_cells",
    metadata,
    sa.Column("metric", sa.String(32), primary_key=True),
    sa.Column("sector", sa.String(20), primary_key=True),
    sa.Column("region", sa.String(32), primary_key=True),
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("employers", sa.Integer, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("low", sa.Float, nullable=False),
    sa.Column("high", sa.Float, nullable=False),
    sa.Column("weeks_from", sa.String(8), nullable=False),
    sa.Column("weeks_to", sa.String(8), nullable=False),
    sa.Column("computed_at", UtcDateTime(), nullable=False),
)


@dataclass(frozen=True)
class Participation:
    opted_in: bool = False
    sector: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """The published cells of one sector and when (over which weeks) they were computed."""

    cells: dict[CellKey, Cell]
    weeks_from: str | None = None
    weeks_to: str | None = None
    computed_at: datetime | None = None


def participation_of(conn: Connection, tenant_id: str) -> Participation:
    """The employer's choice; not taking part until an owner opts in."""
    row = conn.execute(
        sa.select(benchmark_participation).where(benchmark_participation.c.tenant_id == tenant_id)
    ).first()
    if row is None:
        return Participation()
    return Participation(opted_in=row.opted_in, sector=row.sector)


def save_participation(
    conn: Connection, tenant_id: str, choice: Participation, *, by: str, at: datetime
) -> None:
    upsert(
        conn,
        benchmark_participation,
        {
            "tenant_id": tenant_id,
            "opted_in": choice.opted_in,
            "sector": choice.sector,
            "changed_by": by,
            "changed_at": at,
        },
        ("opted_in", "sector", "changed_by", "changed_at"),
    )


def participants(conn: Connection) -> dict[str, str]:
    """tenant id -> sector of every employer that opted in (with a sector)."""
    rows = conn.execute(
        sa.select(benchmark_participation.c.tenant_id, benchmark_participation.c.sector).where(
            benchmark_participation.c.opted_in.is_(True),
            benchmark_participation.c.sector.is_not(None),
        )
    )
    return {row.tenant_id: row.sector for row in rows}


def replace_cells(
    conn: Connection,
    cells: Iterable[Cell],
    *,
    weeks_from: str,
    weeks_to: str,
    at: datetime,
) -> int:
    """Replace every published cell with the shown ones of a new refresh."""
    conn.execute(sa.delete(benchmark_cells))
    rows = [
        {
            "metric": c.key.metric,
            "sector": c.key.sector,
            "region": c.key.region,
            "channel": c.key.channel,
            "employers": c.employers,
            "value": c.value,
            "low": c.low,
            "high": c.high,
            "weeks_from": weeks_from,
            "weeks_to": weeks_to,
            "computed_at": at,
        }
        for c in cells
        if c.shown
    ]
    if rows:
        conn.execute(sa.insert(benchmark_cells), rows)
    return len(rows)


def withdraw_sector(conn: Connection, sector: str) -> None:
    """Take a sector's cells down until the next refresh (an employer left it): showing
    them recomputed without that one employer would let anyone subtract its figures."""
    conn.execute(sa.delete(benchmark_cells).where(benchmark_cells.c.sector == sector))


def cells_of_sector(conn: Connection, sector: str) -> Snapshot:
    rows = conn.execute(
        sa.select(benchmark_cells)
        .where(benchmark_cells.c.sector == sector)
        .order_by(benchmark_cells.c.region, benchmark_cells.c.channel, benchmark_cells.c.metric)
    ).all()
    cells = {
        CellKey(row.metric, row.sector, row.region, row.channel): Cell(
            key=CellKey(row.metric, row.sector, row.region, row.channel),
            employers=row.employers,
            shown=True,
            value=row.value,
            low=row.low,
            high=row.high,
        )
        for row in rows
    }
    if not rows:
        return Snapshot(cells)
    return Snapshot(cells, rows[0].weeks_from, rows[0].weeks_to, rows[0].computed_at)
