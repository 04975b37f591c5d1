"""Dashboard charts: a chart is a frozen spec of numbers, rendered to SVG by pygal.

Why server-side SVG: the console works without JavaScript and without a CDN, and an SVG
stays sharp from a phone to a laptop screen. pygal draws every shape; this module only
says what to draw. Why pygal and not matplotlib (which drew these first): pygal writes
the SVG document directly, without laying text out through font metrics, so a chart
costs tens of milliseconds instead of hundreds, and a dashboard's first view, charts
included, stays within its latency target. pygal's tooltip script is left out (the
console runs no script) and so are its comments (they carry the day it ran).

Rendered SVGs are cached by a digest of their spec: the same numbers never get drawn
twice, and any change in the numbers is a new key. Every chart carries a ``<title>`` and
``<desc>`` for screen readers, and the page shows the same numbers as a data table
(:meth:`ChartSpec.table`).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from cachetools import LRUCache

if TYPE_CHECKING:
    from pygal.graph.graph import Graph

ChartKind = Literal["grouped_bars", "stacked_area", "interval", "bars", "paired_bars"]
ValueFormat = Literal["count", "euro", "percent"]

RENDERER_VERSION = "2"  # bump when the drawing changes, so cached SVGs are redrawn

# A palette that stays distinguishable for the common colour-vision deficiencies
# (Okabe & Ito), repeated for campaigns with more creatives than colours.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
INK = "#1c2430"
GRID = "#dde2e8"
WIDTH = 720  # px of the SVG's viewBox; the page scales it to its column


@dataclass(frozen=True)
class Series:
    """One coloured set of values, one value per category (None: nothing to show)."""

    label: str
    values: tuple[float | None, ...]
    low: tuple[float | None, ...] | None = None
    high: tuple[float | None, ...] | None = None


@dataclass(frozen=True)
class ChartSpec:
    """Everything a chart shows; two equal specs draw the same picture."""

    name: str
    title: str
    description: str
    kind: ChartKind
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    value_format: ValueFormat = "count"
    value_label: str = ""
    log_scale: bool = False
    notes: tuple[str, ...] = field(default=())

    def digest(self) -> str:
        """A short key of the spec's content: the cache key and the URL's version."""
        document = json.dumps(
            {"v": RENDERER_VERSION, **asdict(self)}, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(document.encode()).hexdigest()[:20]

    @property
    def is_empty(self) -> bool:
        return not self.categories or all(
            v is None or v == 0 for s in self.series for v in s.values
        )

    def table(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """The chart's numbers as a header row and body rows, formatted for people."""
        header = ("", *(s.label for s in self.series))
        rows: list[tuple[str, ...]] = []
        for index, category in enumerate(self.categories):
            cells = [category]
            for series in self.series:
                value = series.values[index]
                text = format_value(value, self.value_format)
                if series.low is not None and series.high is not None and value is not None:
                    low, high = series.low[index], series.high[index]
                    text += f" ({format_value(low, self.value_format)}"
                    text += f" to {format_value(high, self.value_format)})"
                cells.append(text)
            rows.append(tuple(cells))
        return header, rows


def format_value(value: float | None, value_format: ValueFormat) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "no upper bound"
    if value_format == "euro":
        return f"€{value:,.2f}"
    if value_format == "percent":
        return f"{value * 100:.0f}%"
    return f"{value:,.0f}"


# --- rendering ------------------------------------------------------------------------


def render_svg(spec: ChartSpec) -> str:
    """Draw the chart; an SVG document with ``<title>`` and ``<desc>``."""
    chart = _CHARTS[spec.kind](spec)
    # pygal names the document (and scopes its CSS) by a random id; the digest keeps
    # one set of numbers one document.
    chart.uuid = spec.digest()
    chart.add_xml_filter(lambda root: _accessible(root, spec))
    svg: str = chart.render(is_unicode=True)
    return svg


def _pygal() -> Any:
    """pygal, without the import hook it adds for its map plugins.

    ``import pygal`` appends a ``sys.meta_path`` finder that has no ``find_spec``, so
    every later import in the process warns (ImportWarning, an error under the tests'
    warnings-as-errors) and falls back to a method Python 3.12 no longer calls. The
    console draws no maps, so the hook goes.
    """
    import pygal

    sys.meta_path[:] = [
        finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"
    ]
    return pygal


def _style(colours: Sequence[str] = PALETTE) -> Any:
    _pygal()
    from pygal.style import Style

    return Style(
        background="white",
        plot_background="white",
        foreground=INK,
        foreground_strong=INK,
        foreground_subtle=GRID,
        guide_stroke_color=GRID,
        major_guide_stroke_color=GRID,
        guide_stroke_dasharray="0",
        major_guide_stroke_dasharray="0",
        colors=tuple(colours),
        opacity="1",
        opacity_hover="1",
        transition="0s",
        font_family="system-ui, -apple-system, 'Segoe UI', sans-serif",
        label_font_size=11,
        major_label_font_size=11,
        value_font_size=11,
        value_label_font_size=11,
        legend_font_size=11,
        title_font_size=12,
        no_data_font_size=16,
    )


def _config(spec: ChartSpec, *, height: int, colours: Sequence[str] = PALETTE) -> dict[str, Any]:
    return {
        "style": _style(colours),
        "width": WIDTH,
        "height": height,
        "js": [],  # no tooltip script: the console runs none, and loads nothing
        "disable_xml_declaration": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": min(4, max(len(spec.series), 1)),
        "show_legend": len(spec.series) > 1,
        "truncate_label": -1,  # creative names in full
        "truncate_legend": -1,
        "value_formatter": lambda value: format_value(value, spec.value_format),
        "no_data_text": "No figures yet",
        "y_title": None,
        "x_title": spec.value_label or None,
        "margin": 8,
    }


def _rows_height(spec: ChartSpec, per_row: int) -> int:
    rows = max(len(spec.categories), 1)
    legend = 28 * math.ceil(len(spec.series) / 4) if len(spec.series) > 1 else 0
    return int(min(max(180, 70 + rows * per_row + legend), 720))


def _numbers(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None or math.isnan(v) else float(v) for v in values]


def _horizontal_bars(spec: ChartSpec, per_row: int, colours: Sequence[str] = PALETTE) -> Graph:
    pygal = _pygal()
    chart: Graph = pygal.HorizontalBar(
        **_config(spec, height=_rows_height(spec, per_row), colours=colours),
        logarithmic=spec.log_scale,
        print_values=spec.kind == "bars",
        print_values_position="top",
    )
    # pygal draws the first category at the bottom; the table reads top down.
    chart.x_labels = list(reversed(spec.categories))
    for series in spec.series:
        chart.add(series.label, list(reversed(_numbers(series.values))))
    if spec.value_format == "percent":
        chart.range = (0, 1)
    if spec.log_scale:  # 1, 10, 100...: pygal's own log ticks crowd into each other
        top = max((v for s in spec.series for v in s.values if v), default=1.0)
        powers = range(max(math.ceil(math.log10(top)), 1) + 1)
        chart.y_labels = [10.0**power for power in powers]
        chart.range = (1, 10.0 ** powers[-1])  # bars grow from 1, like counts do
    return chart


def _grouped_bars(spec: ChartSpec) -> Graph:
    return _horizontal_bars(spec, per_row=max(14 * len(spec.series), 24))


def _bars(spec: ChartSpec) -> Graph:
    return _horizontal_bars(spec, per_row=28)


def _paired_bars(spec: ChartSpec) -> Graph:
    return _horizontal_bars(spec, per_row=34, colours=(PALETTE[0], PALETTE[2]))


def _interval(spec: ChartSpec) -> Graph:
    pygal = _pygal()
    finite = [
        h for s in spec.series for h in (s.high or s.values) if h is not None and math.isfinite(h)
    ]
    # An interval without an upper bound (no conversion yet) is drawn to the edge.
    ceiling = max(finite, default=1.0) * 1.1 or 1.0
    chart: Graph = pygal.HorizontalBar(
        **_config(spec, height=_rows_height(spec, 18 * max(len(spec.series), 1) + 8)),
        range=(0, ceiling),
    )
    chart.x_labels = list(reversed(spec.categories))
    for series in spec.series:
        points: list[dict[str, Any] | None] = []
        for index, value in enumerate(series.values):
            if value is None or math.isnan(value):
                points.append(None)
                continue
            low = series.low[index] if series.low else None
            high = series.high[index] if series.high else None
            point: dict[str, Any] = {"value": min(float(value), ceiling)}
            if low is not None and high is not None:
                top = float(high) if math.isfinite(high) else ceiling
                point["ci"] = {"low": float(low), "high": min(top, ceiling)}
            points.append(point)
        chart.add(series.label, list(reversed(points)))
    return chart


def _stacked_area(spec: ChartSpec) -> Graph:
    pygal = _pygal()
    step = max(1, math.ceil(len(spec.categories) / 12))  # at most ~12 week labels
    chart: Graph = pygal.StackedLine(
        **_config(spec, height=300 + 22 * math.ceil(len(spec.series) / 4)),
        fill=True,
        show_dots=False,
        x_label_rotation=45,
        show_minor_x_labels=False,
        show_x_guides=False,
    )
    chart.x_labels = list(spec.categories)
    chart.x_labels_major = list(spec.categories[::step])
    for series in spec.series:
        chart.add(series.label, [0.0 if v is None else float(v) for v in series.values])
    return chart


_CHARTS: dict[ChartKind, Callable[[ChartSpec], Graph]] = {
    "grouped_bars": _grouped_bars,
    "stacked_area": _stacked_area,
    "interval": _interval,
    "bars": _bars,
    "paired_bars": _paired_bars,
}

SVG_NS = "http://www.w3.org/2000/svg"


def _accessible(root: ET.Element, spec: ChartSpec) -> ET.Element:
    """Name the document for screen readers; drop pygal's script and comments.

    pygal writes a ``<title>`` (its own name when the chart has none) and an inline
    configuration ``<script>`` for its tooltips even without their script file.
    """
    for parent in list(root.iter()):
        for child in list(parent):
            tag: object = child.tag  # comments have a function for a tag, not a name
            if not isinstance(tag, str) or tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    key = spec.digest()[:8]
    title = next(
        (child for child in root if isinstance(child.tag, str) and child.tag.endswith("title")),
        None,
    )
    if title is None:
        title = ET.Element("title")
        root.insert(0, title)
    title.text = spec.title
    title.set("id", f"t-{key}")
    desc = ET.Element("desc", {"id": f"d-{key}"})
    desc.text = spec.description
    root.insert(list(root).index(title) + 1, desc)
    root.set("role", "img")
    root.set("aria-labelledby", f"t-{key} d-{key}")
    return root


# --- the cache ------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedChart:
    key: str
    svg: str


class ChartCache:
    """Rendered SVGs by spec digest, least recently used first out; thread-safe.

    A page that links a chart first :meth:`remember` s its spec under an owner (the
    campaign), so the chart request can be answered without fetching the numbers again,
    and only for that owner.
    """

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: LRUCache[str, str] = LRUCache(max_entries)
        self._specs: LRUCache[tuple[str, str, str], ChartSpec] = LRUCache(max_entries)
        self._lock = threading.Lock()
        self.renders = 0  # how many charts were actually drawn (tests and benchmarks)

    def remember(self, owner: str, spec: ChartSpec) -> str:
        """Keep ``spec`` for a later :meth:`issued` lookup; returns its key."""
        key = spec.digest()
        with self._lock:
            self._specs[(owner, spec.name, key)] = spec
        return key

    def issued(self, owner: str, name: str, key: str) -> ChartSpec | None:
        with self._lock:
            return self._specs.get((owner, name, key))

    def get(self, key: str) -> RenderedChart | None:
        with self._lock:
            svg = self._entries.get(key)
        return None if svg is None else RenderedChart(key, svg)

    def render(self, spec: ChartSpec) -> RenderedChart:
        key = spec.digest()
        cached = self.get(key)
        if cached is not None:
            return cached
        svg = render_svg(spec)
        with self._lock:
            self.renders += 1
            self._entries[key] = svg
        return RenderedChart(key, svg)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
