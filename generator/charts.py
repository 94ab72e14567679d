"""Geometry of the network page's drawings, computed at build time: no JavaScript, no library.

Each function turns plain numbers into coordinates that a template draws as SVG, and
nothing else: labels, titles and descriptions are translated and written by the
template, so the same geometry serves every language. Coordinates are rounded to a
tenth of a unit, which keeps the SVG small and two builds byte-identical.

The graph layout is deterministic by construction (members on a circle, grouped by
region, in name order), rather than a force simulation: the same network always
draws the same picture, and a reader learns where to look for a region.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

PALETTE: Final = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7a6a00", "#6a3d9a")
"""Okabe–Ito colours, safe for the common colour-vision deficiencies; never the only cue."""


def r1(value: float) -> float:
    """Round a coordinate to a tenth (and turn -0.0 into 0.0)."""
    return round(value, 1) + 0.0


def nice_step(top: float, most: int = 5) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) that divides ``[0, top]`` into at most ``most`` intervals."""
    if top <= 0:
        return 1.0
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return float(factor * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


@dataclass(frozen=True, slots=True)
class Frame:
    """A chart's size and the plot area inside its margins."""

    width: float
    height: float
    left: float
    top: float
    right: float
    bottom: float

    @property
    def plot_width(self) -> float:
        """Width of the plot area."""
        return self.right - self.left

    @property
    def plot_height(self) -> float:
        """Height of the plot area."""
        return self.bottom - self.top


@dataclass(frozen=True, slots=True)
class Tick:
    """A gridline at ``position`` (y for vertical axes, x for horizontal ones) for ``value``."""

    position: float
    value: float


@dataclass(frozen=True, slots=True)
class Bar:
    """One vertical bar; ``centre`` is where its value and axis label go."""

    index: int
    x: float
    y: float
    width: float
    height: float
    centre: float
    value: int
    labelled: bool
    """Whether the axis shows this bar's label (every one when few, else one in n)."""


@dataclass(frozen=True, slots=True)
class BarChart:
    """Vertical bars, one per category, on a zero-based axis."""

    frame: Frame
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]


def bar_chart(values: Sequence[int], width: float = 640, height: float = 280, label_every: int = 0) -> BarChart:
    """Bars for ``values`` (counts), with a round-numbered axis."""
    frame = Frame(width, height, 48, 24, width - 12, height - 48)
    top = max(values, default=0)
    step = nice_step(top)
    axis_top = max(step, math.ceil(top / step) * step)
    count = max(len(values), 1)
    slot = frame.plot_width / count
    gap = min(slot * 0.25, 12)
    every = label_every or max(1, math.ceil(count / 12))
    bars = []
    for i, value in enumerate(values):
        h = frame.plot_height * value / axis_top
        x = frame.left + i * slot + gap / 2
        bars.append(
            Bar(i, r1(x), r1(frame.bottom - h), r1(slot - gap), r1(h), r1(x + (slot - gap) / 2), value, i % every == 0)
        )
    ticks = _ticks(axis_top, step, lambda v: frame.bottom - frame.plot_height * v / axis_top)
    return BarChart(frame, tuple(bars), ticks)


def _ticks(axis_top: float, step: float, place: Callable[[float], float]) -> tuple[Tick, ...]:
    found = []
    value = 0.0
    while value <= axis_top + 1e-9:
        found.append(Tick(r1(place(value)), value))
        value += step
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Point:
    """A data point of a line chart."""

    index: int
    x: float
    y: float
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    """One line: its points, and the path through them, broken where data is missing."""

    points: tuple[Point, ...]
    path: str


@dataclass(frozen=True, slots=True)
class LineChart:
    """Lines of shares (0 to 1) over the same categories."""

    frame: Frame
    series: tuple[Series, ...]
    ticks: tuple[Tick, ...]
    xs: tuple[float, ...]
    """The x of each category, for the axis labels."""
    labelled: tuple[bool, ...]


def line_chart(series: Sequence[Sequence[float | None]], width: float = 640, height: float = 280) -> LineChart:
    """Lines for shares in [0, 1] (``None`` where a category has no data), on a 0–100 % axis."""
    frame = Frame(width, height, 48, 24, width - 24, height - 48)
    count = max((len(s) for s in series), default=0)
    slot = frame.plot_width / max(count, 1)
    xs = tuple(r1(frame.left + slot * (i + 0.5)) for i in range(count))
    every = max(1, math.ceil(count / 12))
    drawn = []
    for values in series:
        points = tuple(
            Point(i, xs[i], r1(frame.bottom - frame.plot_height * v), v) for i, v in enumerate(values) if v is not None
        )
        parts: list[str] = []
        previous = -2
        for p in points:
            parts.append(f"{'L' if p.index == previous + 1 else 'M'}{p.x:g} {p.y:g}")
            previous = p.index
        drawn.append(Series(points, " ".join(parts)))
    ticks = _ticks(1.0, 0.25, lambda v: frame.bottom - frame.plot_height * v)
    return LineChart(frame, tuple(drawn), ticks, xs, tuple(i % every == 0 for i in range(count)))


@dataclass(frozen=True, slots=True)
class SplitBar:
    """A horizontal bar in two parts: ``first`` from the axis, ``second`` after it."""

    index: int
    y: float
    height: float
    x: float
    first_width: float
    second_width: float
    first: int
    second: int

    @property
    def end(self) -> float:
        """Where the bar ends (the total's label goes just after)."""
        return r1(self.x + self.first_width + self.second_width)


@dataclass(frozen=True, slots=True)
class SplitBarChart:
    """Horizontal two-part bars, one row per category (labels on the left)."""

    frame: Frame
    bars: tuple[SplitBar, ...]
    ticks: tuple[Tick, ...]


def split_bar_chart(rows: Sequence[tuple[int, int]], width: float = 640, row_height: float = 34) -> SplitBarChart:
    """Two-part bars for ``(first, second)`` counts; the left margin holds each row's label."""
    height = 28 + row_height * max(len(rows), 1) + 28
    frame = Frame(width, height, 200, 28, width - 56, height - 28)
    top = max((a + b for a, b in rows), default=0)
    step = nice_step(top, 4)
    axis_top = max(step, math.ceil(top / step) * step)
    scale = frame.plot_width / axis_top
    bars = tuple(
        SplitBar(
            i,
            r1(frame.top + i * row_height + 6),
            r1(row_height - 12),
            frame.left,
            r1(a * scale),
            r1(b * scale),
            a,
            b,
        )
        for i, (a, b) in enumerate(rows)
    )
    return SplitBarChart(frame, bars, _ticks(axis_top, step, lambda v: frame.left + v * scale))


@dataclass(frozen=True, slots=True)
class Node:
    """A member on the circle, and where its label goes."""

    index: int
    group: int
    x: float
    y: float
    label_x: float
    label_y: float
    rotate: float
    anchor: str
    """``start`` on the right half of the circle, ``end`` on the left, so labels read outwards."""


@dataclass(frozen=True, slots=True)
class Edge:
    """A relation between two nodes, curved through the inside of the circle."""

    a: int
    b: int
    path: str


@dataclass(frozen=True, slots=True)
class Arc:
    """A group's arc just outside its members."""

    group: int
    path: str


@dataclass(frozen=True, slots=True)
class Graph:
    """A circular layout: nodes grouped along the circle, edges as chords."""

    size: float
    radius: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    arcs: tuple[Arc, ...]


def circle_graph(groups: Sequence[int], edges: Sequence[tuple[int, int]], size: float = 800) -> Graph:
    """Place nodes (already in group order) on a circle, with a gap between groups.

    ``groups[i]`` is node i's group; ``edges`` are pairs of node indexes. The first
    node sits at the top and the circle runs clockwise.
    """
    centre = size / 2
    radius = size * 0.3
    count = len(groups)
    boundaries = sum(1 for i in range(1, count) if groups[i] != groups[i - 1]) + (1 if count > 1 else 0)
    slots = max(count + boundaries, 1)
    angles: list[float] = []
    position = 0
    for i in range(count):
        if i > 0 and groups[i] != groups[i - 1]:
            position += 1
        angles.append(-math.pi / 2 + 2 * math.pi * position / slots)
        position += 1
    nodes = []
    for i, angle in enumerate(angles):
        cos, sin = math.cos(angle), math.sin(angle)
        degrees = math.degrees(angle)
        right = cos >= -1e-9
        nodes.append(
            Node(
                i,
                groups[i],
                r1(centre + radius * cos),
                r1(centre + radius * sin),
                r1(centre + (radius + 16) * cos),
                r1(centre + (radius + 16) * sin),
                r1(degrees if right else degrees + 180),
                "start" if right else "end",
            )
        )
    drawn = []
    for a, b in sorted({(min(p), max(p)) for p in edges if p[0] != p[1]}):
        na, nb = nodes[a], nodes[b]
        # The control point is pulled towards the centre: chords bend inwards and stay readable.
        cx = r1(centre + ((na.x + nb.x) / 2 - centre) * 0.25)
        cy = r1(centre + ((na.y + nb.y) / 2 - centre) * 0.25)
        drawn.append(Edge(a, b, f"M{na.x:g} {na.y:g} Q{cx:g} {cy:g} {nb.x:g} {nb.y:g}"))
    arcs = []
    start = 0
    step = 2 * math.pi / slots
    for i in range(1, count + 1):
        if i == count or groups[i] != groups[start]:
            arcs.append(
                Arc(groups[start], _arc(centre, radius + 8, angles[start] - step / 3, angles[i - 1] + step / 3))
            )
            start = i
    return Graph(size, r1(radius), tuple(nodes), tuple(drawn), tuple(arcs))


def _arc(centre: float, radius: float, start: float, end: float) -> str:
    x1, y1 = r1(centre + radius * math.cos(start)), r1(centre + radius * math.sin(start))
    x2, y2 = r1(centre + radius * math.cos(end)), r1(centre + radius * math.sin(end))
    large = 1 if end - start > math.pi else 0
    return f"M{x1:g} {y1:g} A{r1(radius):g} {r1(radius):g} 0 {large} 1 {x2:g} {y2:g}"
