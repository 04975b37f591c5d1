"""Charts: pygal draws real SVG with an accessible name; the cache draws each once."""

from __future__ import annotations

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
