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

RENDERER_VERSION = "4"  # bump when the drawing changes, so cached SVGs are redrawn

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
LABEL_CHARS = 22  # longer creative names are cut with "…" in the picture (the table has them whole)
NARROW_LABEL_CHARS = 14
LEGEND_COLUMNS = 2  # two columns stay legible when the page scales the SVG down
LEGEND_ROW = 24  # px per legend row at the legend's font size
NARROW_WIDTH = 380  # the phone drawing: drawn narrow, its text stays readable at 360 px
CLIP_FACTOR = 3  # an interval reaching past 3x the largest estimate is cut at that point


@dataclass(frozen=True)
class Series:
    """One coloured set of values, one value per category (None: nothing to show)."""

    label: str
    values: tuple[float | None, ...]
    low: tuple[float | None, ...] | None = None
    high: tuple[float | None, ...] | None = None


@dataclass(frozen=True)
class ChartWords:
    """The words a chart draws besides its captions, in the reader's language."""

    no_data_text: str = "No figures yet"
    range_to: str = "to"
    week_axis_title: str = "ISO week, %(years)s"
    clipped_note: str = (
        "The axis ends at %(limit)s (%(factor)s times the highest estimate); wider "
        "intervals are cut there. Their full range is in the table."
    )


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
    words: ChartWords = ChartWords()

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

    def interval_ceiling(self) -> tuple[float, bool]:
        """The value axis' upper end for an interval chart, and whether an interval is cut.

        One creative without conversions has an interval ten times wider than the rest;
        drawn in full it squashes every other bar against the axis. The axis ends at
        :data:`CLIP_FACTOR` times the largest point estimate; an interval reaching past
        that is cut there and :attr:`shown_notes` says so.
        """
        estimates = [v for s in self.series for v in s.values if v is not None and math.isfinite(v)]
        highs = [h for s in self.series for h in (s.high or s.values) if h is not None]
        finite = [h for h in highs if math.isfinite(h)]
        largest = max(finite, default=max(estimates, default=1.0)) or 1.0
        limit = CLIP_FACTOR * max(estimates, default=0.0)
        if limit > 0 and any(h > limit for h in highs):
            return limit, True
        return largest * 1.1, False

    @property
    def shown_notes(self) -> tuple[str, ...]:
        """The notes under the chart, with one for an axis that cuts an interval."""
        if self.kind == "interval" and self.interval_ceiling()[1]:
            limit = format_value(self.interval_ceiling()[0], self.value_format)
            return (*self.notes, self.words.clipped_note % {"limit": limit, "factor": CLIP_FACTOR})
        return self.notes

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
                    text += f" {self.words.range_to} {format_value(high, self.value_format)})"
                cells.append(text)
            rows.append(tuple(cells))
        return header, rows


def chart_words(gettext: Callable[[str], str]) -> ChartWords:
    """:class:`ChartWords` through ``gettext``."""
    return ChartWords(
        no_data_text=gettext("No figures yet"),
        range_to=gettext("to"),
        week_axis_title=gettext("ISO week, %(years)s"),
        clipped_note=gettext(
            "The axis ends at %(limit)s (%(factor)s times the highest estimate); wider "
            "intervals are cut there. Their full range is in the table."
        ),
    )


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


def axis_value(value: float | None, value_format: ValueFormat) -> str:
    """A value on an axis or a bar: whole euros from €10 up (the table has the cents)."""
    whole = value is not None and math.isfinite(value) and (value == 0 or abs(value) >= 10)
    if value_format == "euro" and whole:
        return f"€{value:,.0f}"
    return format_value(value, value_format)


# --- rendering ------------------------------------------------------------------------


def render_svg(spec: ChartSpec, *, narrow: bool = False) -> str:
    """Draw the chart; an SVG document with ``<title>`` and ``<desc>``.

    ``narrow`` draws it for a phone: half as wide, so the page scales it barely at all and
    its text stays readable; shorter labels and a one-column legend.
    """
    chart = _CHARTS[spec.kind](spec, narrow)
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
        label_font_size=14,
        major_label_font_size=14,
        value_font_size=13,
        value_label_font_size=13,
        legend_font_size=14,
        title_font_size=14,
        no_data_font_size=16,
    )


def _config(
    spec: ChartSpec, *, height: int, narrow: bool, colours: Sequence[str] = PALETTE
) -> dict[str, Any]:
    columns = 1 if narrow else LEGEND_COLUMNS
    if narrow and len(spec.series) > 1:  # one legend row per series instead of one per two
        height += LEGEND_ROW * (len(spec.series) - math.ceil(len(spec.series) / LEGEND_COLUMNS))
    return {
        "style": _style(colours),
        "width": NARROW_WIDTH if narrow else WIDTH,
        "height": height,
        "js": [],  # no tooltip script: the console runs none, and loads nothing
        "disable_xml_declaration": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": min(columns, max(len(spec.series), 1)),
        "legend_box_size": 14,
        "show_legend": len(spec.series) > 1,
        "truncate_label": LABEL_CHARS,  # x labels of vertical charts; see _cut
        "truncate_legend": LABEL_CHARS + 8,
        "max_scale": 4 if narrow else 6,  # a few value labels, never a crowded axis
        "min_scale": 3,
        "include_x_axis": not spec.log_scale,  # amounts are compared from zero
        "value_formatter": lambda value: axis_value(value, spec.value_format),
        "no_data_text": spec.words.no_data_text,
        "y_title": None,
        "x_title": spec.value_label or None,
        "margin": 8,
        # pygal reserves one legend box per legend row at the bottom but draws the rows
        # 1.5 boxes apart, so the last row of a legend with several rows fell off the
        # picture; the bottom margin makes up the difference.
        "margin_bottom": 8 + _legend_shortfall(len(spec.series), columns),
    }


def _legend_shortfall(series: int, columns: int) -> int:
    rows = math.ceil(series / columns) if series > 1 else 0
    return math.ceil(0.5 * 14 * rows) + (4 if rows > 1 else 0)


def _rows_height(spec: ChartSpec, per_row: int) -> int:
    rows = max(len(spec.categories), 1)
    return int(min(max(180, 70 + rows * per_row), 720)) + _legend_height(spec)


def _legend_height(spec: ChartSpec) -> int:
    """Room under the plot for the legend's rows (pygal cuts off what does not fit)."""
    if len(spec.series) < 2:
        return 0
    return 12 + LEGEND_ROW * math.ceil(len(spec.series) / LEGEND_COLUMNS)


def _label_chars(narrow: bool) -> int:
    return NARROW_LABEL_CHARS if narrow else LABEL_CHARS


def _cut(label: str, limit: int) -> str:
    """pygal does not shorten the category labels of horizontal charts; this does."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _numbers(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None or math.isnan(v) else float(v) for v in values]


def _horizontal_bars(
    spec: ChartSpec, per_row: int, narrow: bool, colours: Sequence[str] = PALETTE
) -> Graph:
    pygal = _pygal()
    chart: Graph = pygal.HorizontalBar(
        **_config(spec, height=_rows_height(spec, per_row), narrow=narrow, colours=colours),
        logarithmic=spec.log_scale,
        print_values=spec.kind == "bars",
        print_values_position="top",
    )
    # pygal draws the first category at the bottom; the table reads top down.
    chart.x_labels = [_cut(c, _label_chars(narrow)) for c in reversed(spec.categories)]
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


def _grouped_bars(spec: ChartSpec, narrow: bool) -> Graph:
    return _horizontal_bars(spec, max(14 * len(spec.series), 24), narrow)


def _bars(spec: ChartSpec, narrow: bool) -> Graph:
    return _horizontal_bars(spec, 28, narrow)


def _paired_bars(spec: ChartSpec, narrow: bool) -> Graph:
    return _horizontal_bars(spec, 34, narrow, colours=(PALETTE[0], PALETTE[2]))


def _interval(spec: ChartSpec, narrow: bool) -> Graph:
    pygal = _pygal()
    # An interval without an upper bound (no conversion yet), or one far wider than the
    # rest, is drawn to the edge; the page notes it (ChartSpec.shown_notes).
    ceiling, _ = spec.interval_ceiling()
    chart: Graph = pygal.HorizontalBar(
        **_config(
            spec, height=_rows_height(spec, 18 * max(len(spec.series), 1) + 8), narrow=narrow
        ),
        range=(0, ceiling),
    )
    chart.x_labels = [_cut(c, _label_chars(narrow)) for c in reversed(spec.categories)]
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


def _stacked_area(spec: ChartSpec, narrow: bool) -> Graph:
    pygal = _pygal()
    step = max(1, math.ceil(len(spec.categories) / (4 if narrow else 8)))
    config = _config(spec, height=320 + _legend_height(spec), narrow=narrow)
    # ISO weeks read "W47" on the axis, unrotated, the years in the axis title: long
    # rotated labels ran off the picture's edge.
    years = sorted({week.split("-")[0] for week in spec.categories})
    config["x_title"] = spec.words.week_axis_title % {
        "years": "\u2013".join(dict.fromkeys((years[0], years[-1])))
    }
    config["margin_bottom"] += 14  # the axis title pushes the legend down
    chart: Graph = pygal.StackedLine(
        **config,
        fill=True,
        show_dots=False,
        show_minor_x_labels=False,
        show_x_guides=False,
    )
    labels = [week.rpartition("-")[2] for week in spec.categories]
    chart.x_labels = labels
    chart.x_labels_major = labels[::step]
    for series in spec.series:
        chart.add(series.label, [0.0 if v is None else float(v) for v in series.values])
    return chart


_CHARTS: dict[ChartKind, Callable[[ChartSpec, bool], Graph]] = {
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

    def render(self, spec: ChartSpec, *, narrow: bool = False) -> RenderedChart:
        key = spec.digest() + ("-narrow" if narrow else "")
        cached = self.get(key)
        if cached is not None:
            return cached
        svg = render_svg(spec, narrow=narrow)
        with self._lock:
            self.renders += 1
            self._entries[key] = svg
        return RenderedChart(key, svg)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
