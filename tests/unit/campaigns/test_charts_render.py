"""Charts: pygal draws real SVG with an accessible name; the cache draws each once."""

from __future__ import annotations

import dataclasses
import math
import xml.etree.ElementTree as ET

import pytest

from campaigns.insights.charts import ChartCache, ChartSpec, Series, format_value, render_svg

pytestmark = pytest.mark.unit

SVG = "{http://www.w3.org/2000/svg}"
CREATIVES = ("TikTok video", "Instagram carousel", "LinkedIn image")


def spec(kind: str, *, values: tuple[float | None, ...] = (120.0, 80.0, 15.0)) -> ChartSpec:
    extra: dict[str, object] = {}
    if kind == "interval":
        extra = {"low": tuple(v / 2 if v else None for v in values), "high": (math.inf, 90.0, 20.0)}
    categories = CREATIVES if kind != "stacked_area" else ("2026-W45", "2026-W46", "2026-W47")
    return ChartSpec(
        name=f"test-{kind}",
        title=f"A {kind} chart",
        description="Numbers & <things> per creative",
        kind=kind,  # type: ignore[arg-type]
        categories=categories,
        series=(Series("Visits", values, **extra),),  # type: ignore[arg-type]
        value_format="euro" if kind == "interval" else "count",
    )


@pytest.mark.parametrize(
    "kind", ["grouped_bars", "stacked_area", "interval", "bars", "paired_bars"]
)
def test_every_kind_draws_svg_with_title_and_description(kind: str) -> None:
    svg = render_svg(spec(kind))

    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == f"A {kind} chart"
    assert desc is not None and desc.text == "Numbers & <things> per creative"
    assert set(root.get("aria-labelledby", "").split()) == {title.get("id"), desc.get("id")}
    # Drawn by pygal, text kept as text, nothing that runs or loads.
    assert root.iter(f"{SVG}path") is not None and len(list(root.iter(f"{SVG}path"))) > 3
    assert "TikTok video" in svg or kind == "stacked_area"
    assert not list(root.iter(f"{SVG}script"))
    links = [
        value
        for element in root.iter()
        for name, value in element.attrib.items()
        if name.endswith("href")
    ]
    assert all(link.startswith("#") for link in links)  # nothing loaded from elsewhere


def test_a_chart_of_nothing_still_draws() -> None:
    empty = ChartSpec("e", "Empty", "no data", "bars", (), (Series("x", ()),))
    assert empty.is_empty
    assert ET.fromstring(render_svg(empty)).get("role") == "img"


def test_the_data_table_formats_values_and_intervals() -> None:
    header, rows = spec("interval").table()
    assert header == ("", "Visits")
    assert rows[0] == ("TikTok video", "€120.00 (€60.00 to no upper bound)")
    assert rows[2] == ("LinkedIn image", "€15.00 (€7.50 to €20.00)")
    assert format_value(None, "count") == "-"
    assert format_value(0.426, "percent") == "43%"
    assert format_value(1234567.0, "count") == "1,234,567"


def test_the_cache_draws_the_same_numbers_once_and_new_numbers_again() -> None:
    cache = ChartCache(max_entries=2)
    first = cache.render(spec("bars"))
    again = cache.render(spec("bars"))
    changed = cache.render(spec("bars", values=(121.0, 80.0, 15.0)))

    assert again.svg == first.svg and again.key == first.key
    assert changed.key != first.key
    assert cache.renders == 2

    cache.render(spec("paired_bars"))  # a third entry pushes out the least recently used
    assert len(cache) == 2
    assert cache.get(first.key) is None
    assert cache.get(changed.key) is not None


def test_issued_specs_are_only_found_for_their_owner() -> None:
    cache = ChartCache()
    chart = spec("bars")
    key = cache.remember("campaign-a", chart)

    assert cache.issued("campaign-a", chart.name, key) == chart
    assert cache.issued("campaign-b", chart.name, key) is None
    assert cache.issued("campaign-a", "other", key) is None
    assert cache.issued("campaign-a", chart.name, "0" * 20) is None


def _axis_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_one_wide_interval_is_cut_at_three_times_the_largest_estimate_with_a_note() -> None:
    wide = ChartSpec(
        name="cost",
        title="Cost per lead",
        description="d",
        kind="interval",
        categories=CREATIVES,
        series=(
            Series("Cost per lead", (20.0, 30.0, 25.0), (10.0, 20.0, 5.0), (40.0, 45.0, 900.0)),
        ),
        value_format="euro",
    )
    ceiling, clipped = wide.interval_ceiling()
    assert (ceiling, clipped) == (90.0, True)
    assert any("ends at €90.00" in note for note in wide.shown_notes)
    # The table keeps the full interval.
    assert "€900.00" in " ".join(wide.table()[1][2])
    narrow = dataclasses.replace(
        wide,
        series=(Series("c", (20.0, 30.0), (10.0, 20.0), (40.0, 45.0)),),
        categories=CREATIVES[:2],
    )
    assert narrow.interval_ceiling()[1] is False
    assert narrow.shown_notes == ()


def test_amounts_over_the_weeks_are_drawn_from_zero() -> None:
    weeks = ChartSpec(
        name="budget",
        title="Spend",
        description="d",
        kind="stacked_area",
        categories=("2026-W45", "2026-W46", "2026-W47"),
        series=(Series("A", (500.0, 520.0, 510.0)), Series("B", (400.0, 410.0, 420.0))),
        value_format="euro",
    )
    texts = _axis_texts(render_svg(weeks))
    assert "€0" in texts
    assert "W45" in texts and "2026-W45" not in texts


def test_long_creative_names_are_cut_in_the_picture_and_shorter_on_a_phone() -> None:
    long_name = "Instagram Reel - een dag op de klantenservice in Utrecht"
    chart = ChartSpec(
        name="p",
        title="t",
        description="d",
        kind="bars",
        categories=(long_name, "B"),
        series=(Series("a", (0.4, 0.6)),),
        value_format="percent",
    )
    wide, phone = _axis_texts(render_svg(chart)), _axis_texts(render_svg(chart, narrow=True))
    assert long_name not in wide and any(t.endswith("…") and len(t) <= 22 for t in wide)
    assert any(t.endswith("…") and len(t) <= 14 for t in phone)


@pytest.mark.parametrize("kind", ["grouped_bars", "stacked_area", "interval", "paired_bars"])
@pytest.mark.parametrize("series", [2, 3, 5])
@pytest.mark.parametrize("narrow", [False, True])
def test_every_legend_entry_is_inside_the_picture(kind: str, series: int, narrow: bool) -> None:
    """pygal placed the last legend row of a many-series chart below the picture's edge."""
    values = (120.0, 80.0, 15.0)
    chart = dataclasses.replace(
        spec(kind),
        series=tuple(
            Series(f"Series {n}", values, low=values if kind == "interval" else None)
            for n in range(series)
        ),
    )
    root = ET.fromstring(render_svg(chart, narrow=narrow))
    height = float(root.attrib["viewBox"].split()[3])
    svg = "{http://www.w3.org/2000/svg}"
    (legends,) = [g for g in root.iter(f"{svg}g") if g.attrib.get("class") == "legends"]
    top = float(legends.attrib["transform"].split(",")[1].rstrip(")"))
    boxes = [float(r.attrib["y"]) + float(r.attrib["height"]) for r in legends.iter(f"{svg}rect")]
    assert len(boxes) == series
    assert top + max(boxes) <= height
