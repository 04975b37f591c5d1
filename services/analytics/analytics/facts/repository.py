"""Persistence of the weekly facts: funnel counters, daily delivery and the fact versions.

Every write here runs inside the caller's transaction (the consumer's, with its dedup
record), so an event's effect and the note that it was applied commit together. Writes
are upserts (``INSERT ... ON CONFLICT DO UPDATE``) in the database's own dialect: a counter
increment is one atomic statement, correct under concurrent consumers on PostgreSQL as on
SQLite.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from analytics.facts.domain import FUNNEL_COUNTERS, CounterRow, DeliveryDay
from analytics.storage.schema import (
    FactKind,
    campaigns_table,
    daily_delivery_table,
    fact_versions_table,
    variants_table,
    visitor_days_table,
    weekly_funnel_table,
)
from koers.db import upsert

CENT = Decimal("0.01")

# --- fact versions --------------------------------------------------------------------


def bump_fact_versions(conn: Connection, kind: FactKind, campaign_ids: Iterable[str]) -> None:
    """Note that ``kind`` facts of these campaigns changed (in the caller's transaction).

    Campaigns are bumped in sorted order, so two writers bumping the same ones take
    their row locks in the same order and cannot deadlock.
    """
    rows = [
        {"campaign_id": campaign_id, "kind": kind, "version": 1}
        for campaign_id in sorted(set(campaign_ids))
    ]
    upsert(conn, fact_versions_table, rows, ("version",), add=True)


def fact_versions(conn: Connection, campaign_id: str) -> tuple[tuple[str, int], ...]:
    """The campaign's fact counters, (kind, version) sorted: equal means unchanged.

    Read it *before* the facts it guards: a write that lands in between then makes the
    stored result look older than it is (recomputed next time), never newer.
    """
    return fact_versions_of(conn, [campaign_id])[campaign_id]


def fact_versions_of(
    conn: Connection, campaign_ids: Sequence[str]
) -> dict[str, tuple[tuple[str, int], ...]]:
    """:func:`fact_versions` of several campaigns in one query."""
    table = fact_versions_table
    query = (
        sa.select(table.c.campaign_id, table.c.kind, table.c.version)
        .where(table.c.campaign_id.in_(list(campaign_ids)))
        .order_by(table.c.campaign_id, table.c.kind)
    )
    found: dict[str, list[tuple[str, int]]] = {campaign_id: [] for campaign_id in campaign_ids}
    for campaign_id, kind, version in conn.execute(query):
        found[campaign_id].append((kind, int(version)))
    return {campaign_id: tuple(versions) for campaign_id, versions in found.items()}


# --- writes ---------------------------------------------------------------------------

FunnelCell = tuple[str, str, str]
"""(campaign_id, variant_id, ISO week): one row of ``weekly_funnel``."""


@functools.lru_cache(maxsize=4)
def _add_counters_sql(placeholder: str) -> str:
    """``INSERT ... ON CONFLICT DO UPDATE SET c = c + excluded.c`` for every counter.

    Deliberately not :func:`koers.db.upsert`: the consumer runs this for every candidate
    event, so it skips SQLAlchemy's statement machinery altogether and runs as one
    ``executemany`` of plain tuples per batch (measured: 72 µs of CPU per event through
    Core, 5.5 µs per row this way). SQLite and PostgreSQL spell this upsert identically;
    names come from the table definition, values are parameters.
    """
    table = weekly_funnel_table
    keys = [column.name for column in table.primary_key.columns]
    columns = [*keys, *FUNNEL_COUNTERS]
    updates = ", ".join(
        f"{name} = {table.name}.{name} + excluded.{name}" for name in FUNNEL_COUNTERS
    )
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join(placeholder for _ in columns)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


def add_to_funnel_counters(
    conn: Connection, increments: Mapping[FunnelCell, Mapping[str, int]]
) -> None:
    """Add to the counters of each (campaign, variant, ISO week), creating rows at zero.

    Rows are written in key order, so two consumers adding to the same rows at once
    (during a rebalance) take their row locks in the same order and cannot deadlock.
    """
    unknown = {name for counts in increments.values() for name in counts} - set(FUNNEL_COUNTERS)
    if unknown:
        raise ValueError(f"not funnel counters: {sorted(unknown)}")
    rows = [
        (*cell, *(int(counts.get(name, 0)) for name in FUNNEL_COUNTERS))
        for cell, counts in sorted(increments.items())
        if any(counts.values())
    ]
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise RuntimeError(f"analytics supports SQLite and PostgreSQL, not {dialect}")
    conn.exec_driver_sql(_add_counters_sql("?" if dialect == "sqlite" else "%s"), rows)
    bump_fact_versions(conn, "counters", (campaign_id for campaign_id, _, _ in increments))


VisitorDay = tuple[str, str, date, str]
"""(campaign_id, variant_id, day, visitor_key): one visitor on one creative on one day."""

VISITOR_DAYS_KEPT = 3
"""Days of visitor keys kept before the newest day seen. A key changes daily, so an
older day can only come back through a page view delivered days late, which then counts
as a new visitor (an over-count of at most that visitor)."""


def new_visitor_days(conn: Connection, seen: Iterable[VisitorDay]) -> set[VisitorDay]:
    """Store the visitor days not stored yet and return them; forget days past the window.

    The consumer applies a campaign's events one partition at a time, so a select then an
    insert cannot race; if a rebalance ever overlaps two consumers, the second insert of a
    key fails the batch, which is then retried, rather than counting a visitor twice.
    """
    candidates = set(seen)
    if not candidates:
        return set()
    table = visitor_days_table
    key = sa.tuple_(table.c.campaign_id, table.c.variant_id, table.c.day, table.c.visitor_key)
    known: set[VisitorDay] = set()
    ordered = sorted(candidates)
    for start in range(0, len(ordered), 500):  # bounded IN lists
        chunk = ordered[start : start + 500]
        stored = sa.select(
            table.c.campaign_id, table.c.variant_id, table.c.day, table.c.visitor_key
        ).where(key.in_(chunk))
        known.update((str(c), str(v), d, str(k)) for c, v, d, k in conn.execute(stored))
    new = candidates - known
    if new:
        conn.execute(
            table.insert(),
            [
                {"campaign_id": c, "variant_id": v, "day": d, "visitor_key": k}
                for c, v, d, k in sorted(new)
            ],
        )
    newest = max(day for _, _, day, _ in candidates)
    conn.execute(table.delete().where(table.c.day < newest - timedelta(days=VISITOR_DAYS_KEPT)))
    return new


def record_delivery_day(
    conn: Connection,
    *,
    campaign_id: str,
    variant_id: str,
    day: date,
    spend: Decimal,
    impressions: int,
    clicks: int,
    import_id: str,
) -> None:
    """Store a variant's delivery on a day; a re-import of that day replaces it."""
    row = {"spend": spend, "impressions": impressions, "clicks": clicks, "import_id": import_id}
    upsert(
        conn,
        daily_delivery_table,
        {"campaign_id": campaign_id, "variant_id": variant_id, "day": day, **row},
        row,
    )
    bump_fact_versions(conn, "delivery", [campaign_id])


# --- reads ----------------------------------------------------------------------------


def campaign_is_known(conn: Connection, campaign_id: str) -> bool:
    """True when analytics has the campaign's state or any fact about it."""
    known = sa.select(
        sa.or_(
            *(
                sa.exists().where(table.c.campaign_id == campaign_id)
                for table in (campaigns_table, weekly_funnel_table, daily_delivery_table)
            )
        )
    )
    return bool(conn.scalar(known))


def known_variant_ids(conn: Connection, campaign_id: str) -> list[str]:
    """Variants from the campaign state or with any fact, in any week."""
    return known_variant_ids_of(conn, [campaign_id])[campaign_id]


def known_variant_ids_of(conn: Connection, campaign_ids: Sequence[str]) -> dict[str, list[str]]:
    """:func:`known_variant_ids` of several campaigns in one query."""
    ids = list(campaign_ids)
    known = sa.union(
        *(
            sa.select(table.c.campaign_id, table.c.variant_id).where(table.c.campaign_id.in_(ids))
            for table in (variants_table, weekly_funnel_table, daily_delivery_table)
        )
    )
    found: dict[str, list[str]] = {campaign_id: [] for campaign_id in ids}
    for campaign_id, variant_id in conn.execute(known):
        found[campaign_id].append(variant_id)
    return found


def funnel_counter_rows(
    conn: Connection,
    campaign_id: str,
    week: str | None = None,
    *,
    first_week: str | None = None,
    last_week: str | None = None,
) -> list[CounterRow]:
    """The weekly_funnel rows of a campaign: of one ISO week, or between two inclusive.

    ISO week labels ("2026-W07") sort as text in calendar order, so a range is a string
    comparison the index serves.
    """
    first, last = (week, week) if week is not None else (first_week, last_week)
    return funnel_counter_rows_of(conn, [campaign_id], first_week=first, last_week=last)[
        campaign_id
    ]


def funnel_counter_rows_of(
    conn: Connection,
    campaign_ids: Sequence[str],
    *,
    first_week: str | None = None,
    last_week: str | None = None,
) -> dict[str, list[CounterRow]]:
    """:func:`funnel_counter_rows` of several campaigns in one query."""
    ids = list(campaign_ids)
    table = weekly_funnel_table
    counters = [table.c[name] for name in FUNNEL_COUNTERS]
    query = sa.select(table.c.campaign_id, table.c.variant_id, table.c.iso_week, *counters).where(
        table.c.campaign_id.in_(ids)
    )
    if first_week is not None:
        query = query.where(table.c.iso_week >= first_week)
    if last_week is not None:
        query = query.where(table.c.iso_week <= last_week)
    found: dict[str, list[CounterRow]] = {campaign_id: [] for campaign_id in ids}
    # Plain tuples: a year of a campaign is hundreds of rows, read on every dashboard.
    for campaign_id, variant_id, week_label, *values in conn.execute(query):
        found[campaign_id].append(
            CounterRow(
                variant_id=variant_id,
                week=week_label,
                counters=dict(zip(FUNNEL_COUNTERS, values, strict=True)),
            )
        )
    return found


def _monday_of(conn: Connection, day: sa.ColumnElement[date]) -> sa.ColumnElement[date]:
    """The Monday of ``day``'s ISO week, in the database's own date arithmetic."""
    monday: sa.ColumnElement[Any]
    if conn.dialect.name == "postgresql":
        monday = sa.cast(sa.func.date_trunc("week", day), sa.Date)  # ISO weeks start Monday
    else:  # SQLite: forward to Sunday (or stay on it), then back six days
        monday = sa.func.date(day, "weekday 0", "-6 days")
    return sa.type_coerce(monday, sa.Date)


def delivery_weeks(
    conn: Connection, campaign_id: str, first: date | None = None, last: date | None = None
) -> list[DeliveryDay]:
    """The campaign's delivery summed per variant and ISO week, each dated on its Monday.

    The funnel only ever shows delivery per ISO week; summing in the database reads one
    row per variant-week instead of seven (a year of ten creatives: 520 rows, not 3,640),
    which is what keeps the funnel, health and insights answers fast. ``first``/``last``
    bound the days summed, inclusive.
    """
    return delivery_weeks_of(conn, [campaign_id], first, last)[campaign_id]


def delivery_weeks_of(
    conn: Connection,
    campaign_ids: Sequence[str],
    first: date | None = None,
    last: date | None = None,
) -> dict[str, list[DeliveryDay]]:
    """:func:`delivery_weeks` of several campaigns in one query."""
    ids = list(campaign_ids)
    table = daily_delivery_table
    monday = _monday_of(conn, table.c.day).label("monday")
    query = (
        sa.select(
            table.c.campaign_id,
            table.c.variant_id,
            monday,
            sa.func.sum(table.c.spend).label("spend"),
            sa.func.sum(table.c.impressions).label("impressions"),
            sa.func.sum(table.c.clicks).label("clicks"),
        )
        .where(table.c.campaign_id.in_(ids))
        .group_by(table.c.campaign_id, table.c.variant_id, monday)
    )
    if first is not None:
        query = query.where(table.c.day >= first)
    if last is not None:
        query = query.where(table.c.day <= last)
    found: dict[str, list[DeliveryDay]] = {campaign_id: [] for campaign_id in ids}
    for row in conn.execute(query):
        found[row.campaign_id].append(
            DeliveryDay(
                variant_id=row.variant_id,
                day=row.monday,
                # SQLite sums REALs: round back to the cents every amount was stored in.
                spend=Decimal(row.spend).quantize(CENT),
                impressions=int(row.impressions),
                clicks=int(row.clicks),
            )
        )
    return found
