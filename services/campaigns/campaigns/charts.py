"""Dashboard charts: a chart is a frozen spec of numbers, rendered to SVG by matplotlib.

Why server-side SVG: the console works without JavaScript and without a CDN, and an SVG
stays sharp from a phone to a laptop screen. Matplotlib draws every shape; this module
only says what to draw. The figure is built with the object-oriented API on an explicit
SVG canvas, so no pyplot state machine and no process-wide backend switch is involved.

Rendering costs tens of milliseconds, so rendered SVGs are cached by a digest of their
spec: the same numbers never get drawn twice, and any change in the numbers is a new key.
Every chart carries a ``<title>`` and ``<desc>`` for screen readers, and the page shows
the same numbers as a data table (:meth:`ChartSpec.table`).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from matplotlib.axes import Axes

ChartKind = Literal["grouped_bars", "stacked_area", "interval", "bars", "paired_bars"]
ValueFormat = Literal["count", "euro", "percent"]

RENDERER_VERSION = "1"  # bump when the drawing changes, so cached SVGs are redrawn

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

# matplotlib keeps process-wide state (rcParams, font caches) that is not thread-safe;
# route handlers run in a thread pool, so drawing happens one chart at a time.
_DRAW_LOCK = threading.Lock()
_SVG_RC: dict[Any, Any] = {"svg.fonttype": "none", "svg.hashsalt": "koers", "font.size": 10.0}


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
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    rows = max(len(spec.categories), 1)
    horizontal = spec.kind in ("interval", "bars", "paired_bars", "grouped_bars")
    per_row = 0.32 if spec.kind != "grouped_bars" else 0.18 * max(len(spec.series), 1)
    height = min(max(2.4, 1.2 + rows * per_row), 9.0) if horizontal else 3.6
    with _DRAW_LOCK, matplotlib.rc_context(_SVG_RC):
        figure = Figure(figsize=(7.2, height), layout="constrained")
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        _DRAWERS[spec.kind](axes, spec)
        _style_axes(axes, spec, horizontal=horizontal)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _with_accessible_name(buffer.getvalue(), spec)


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _numbers(values: Sequence[float | None]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def _draw_grouped_bars(axes: Axes, spec: ChartSpec) -> None:
    count = max(len(spec.series), 1)
    height = 0.8 / count
    positions = range(len(spec.categories))
    for index, series in enumerate(spec.series):
        offsets = [p - 0.4 + height * (index + 0.5) for p in positions]
        axes.barh(
            offsets,
            _numbers(series.values),
            height=height,
            color=_colour(index),
            label=series.label,
        )
    axes.set_yticks(list(positions), labels=list(spec.categories))
    axes.invert_yaxis()
    if spec.log_scale:
        axes.set_xscale("symlog", linthresh=1)
    axes.legend(loc="lower right", fontsize=8, frameon=False)


def _draw_stacked_area(axes: Axes, spec: ChartSpec) -> None:
    positions = list(range(len(spec.categories)))
    layers = [[0.0 if v is None else float(v) for v in s.values] for s in spec.series]
    axes.stackplot(
        positions,
        *layers,
        labels=[s.label for s in spec.series],
        colors=[_colour(i) for i in range(len(spec.series))],
        step="mid",
    )
    step = max(1, math.ceil(len(positions) / 12))  # at most ~12 week labels
    axes.set_xticks(positions[::step], labels=list(spec.categories[::step]), rotation=45)
    axes.set_xlim(-0.5, max(len(positions) - 0.5, 0.5))
    axes.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        ncol=min(4, max(len(spec.series), 1)),
        fontsize=8,
        frameon=False,
    )


def _draw_interval(axes: Axes, spec: ChartSpec) -> None:
    positions = list(range(len(spec.categories)))
    count = max(len(spec.series), 1)
    for index, series in enumerate(spec.series):
        offset = (index - (count - 1) / 2) * 0.25
        values = _numbers(series.values)
        low = _numbers(series.low or series.values)
        high = _numbers(series.high or series.values)
        finite_high = [h for h in high if math.isfinite(h)]
        ceiling = max(finite_high, default=1.0) * 1.1 or 1.0
        # An interval without an upper bound (no conversion yet) is drawn to the edge.
        high = [h if math.isfinite(h) else ceiling for h in high]
        below = [max(v - lo, 0.0) for v, lo in zip(values, low, strict=True)]
        above = [max(h - v, 0.0) for v, h in zip(values, high, strict=True)]
        axes.errorbar(
            values,
            [p + offset for p in positions],
            xerr=[below, above],
            fmt="o",
            color=_colour(index),
            capsize=3,
            label=series.label,
        )
    axes.set_yticks(positions, labels=list(spec.categories))
    axes.set_ylim(-0.6, len(positions) - 0.4)
    axes.invert_yaxis()
    axes.set_xlim(left=0)
    if len(spec.series) > 1:
        axes.legend(loc="lower right", fontsize=8, frameon=False)


def _draw_bars(axes: Axes, spec: ChartSpec) -> None:
    positions = list(range(len(spec.categories)))
    [series] = spec.series[:1] or (Series("", ()),)
    values = _numbers(series.values)
    bars = axes.barh(positions, values, color=_colour(0), height=0.6)
    axes.bar_label(
        bars, labels=[format_value(v, spec.value_format) for v in series.values], padding=3
    )
    axes.set_yticks(positions, labels=list(spec.categories))
    axes.invert_yaxis()
    if spec.value_format == "percent":
        axes.set_xlim(0, 1.15)


def _draw_paired_bars(axes: Axes, spec: ChartSpec) -> None:
    positions = list(range(len(spec.categories)))
    for index, series in enumerate(spec.series[:2]):
        offsets = [p - 0.2 + 0.4 * index for p in positions]
        axes.barh(
            offsets,
            _numbers(series.values),
            height=0.38,
            color=_colour(index if index == 0 else 2),
            label=series.label,
        )
    axes.set_yticks(positions, labels=list(spec.categories))
    axes.invert_yaxis()
    axes.legend(loc="lower right", fontsize=8, frameon=False)


_DRAWERS = {
    "grouped_bars": _draw_grouped_bars,
    "stacked_area": _draw_stacked_area,
    "interval": _draw_interval,
    "bars": _draw_bars,
    "paired_bars": _draw_paired_bars,
}


def _style_axes(axes: Axes, spec: ChartSpec, *, horizontal: bool) -> None:
    from matplotlib.ticker import FuncFormatter

    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.spines["left"].set_color(GRID)
    axes.spines["bottom"].set_color(GRID)
    axes.tick_params(colors=INK, labelsize=9)
    value_axis = axes.xaxis if horizontal else axes.yaxis
    # Plain numbers on the value axis (also on a log scale: no mathtext powers of ten).
    value_axis.set_major_formatter(
        FuncFormatter(lambda v, _pos: format_value(v, spec.value_format))
    )
    axes.grid(axis="x" if horizontal else "y", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    if spec.value_label:
        (axes.set_xlabel if horizontal else axes.set_ylabel)(spec.value_label, color=INK)


def _with_accessible_name(svg: str, spec: ChartSpec) -> str:
    """Give the SVG a role, a ``<title>`` and a ``<desc>`` (matplotlib writes neither)."""
    start = svg.index("<svg")
    end = svg.index(">", start)
    key = spec.digest()[:8]
    opening = svg[start:end].replace(
        "<svg", f'<svg role="img" aria-labelledby="t-{key} d-{key}"', 1
    )
    accessible = (
        f'<title id="t-{key}">{escape(spec.title)}</title>'
        f'<desc id="d-{key}">{escape(spec.description)}</desc>'
    )
    return svg[:start] + opening + ">" + accessible + svg[end + 1 :]


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
        self._max_entries = max_entries
        self._entries: OrderedDict[str, str] = OrderedDict()
        self._specs: OrderedDict[tuple[str, str, str], ChartSpec] = OrderedDict()
        self._lock = threading.Lock()
        self.renders = 0  # how many charts were actually drawn (tests and benchmarks)

    def remember(self, owner: str, spec: ChartSpec) -> str:
        """Keep ``spec`` for a later :meth:`issued` lookup; returns its key."""
        key = spec.digest()
        with self._lock:
            self._specs[(owner, spec.name, key)] = spec
            self._specs.move_to_end((owner, spec.name, key))
            while len(self._specs) > self._max_entries:
                self._specs.popitem(last=False)
        return key

    def issued(self, owner: str, name: str, key: str) -> ChartSpec | None:
        with self._lock:
            return self._specs.get((owner, name, key))

    def get(self, key: str) -> RenderedChart | None:
        with self._lock:
            svg = self._entries.get(key)
            if svg is None:
                return None
            self._entries.move_to_end(key)
            return RenderedChart(key, svg)

    def render(self, spec: ChartSpec) -> RenderedChart:
        key = spec.digest()
        cached = self.get(key)
        if cached is not None:
            return cached
        svg = render_svg(spec)
        with self._lock:
            self.renders += 1
            self._entries[key] = svg
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return RenderedChart(key, svg)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
