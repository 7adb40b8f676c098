"""Server-rendered SVG charts: plain Python building SVG markup, no JavaScript, nothing fetched.

One style for every chart of the site (statistics page, live-session page):

- every chart is drawn twice, for a phone (NARROW units wide) and for a wide card, inside one
  `div.chart-frame`; a CSS container query shows the drawing that fits the card. An SVG's text
  scales with the SVG, so this is what keeps chart text at its drawn size (12-14 px, never under
  11 px) from a 390 px phone to a laptop: a wide drawing is never squeezed into a phone, and
  neither drawing is blown up past its own width (`max-width` in px);
- each drawing is an `<svg role="img">` labelled by its own `<title>` and `<desc>`, with values
  written next to the bars and a `<title>` tooltip on each bar or line; pages add a data table;
- text sizes and the colours of text and grid lines come from CSS classes (chart-text 14 px,
  chart-value 13 px, chart-heading 14 px bold, chart-small and chart-muted 12 px; see
  static/css/analysis-history.css), so charts follow the light and dark schemes; bars and lines
  take the fixed colour of their emotion; labels are capitalised like the data tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

ACCENT = "#4f46e5"
SECOND = "#0891b2"

NARROW = 320  # the phone drawing: a 390 px screen shows it at full size inside a card
BAR_WIDTH = 480  # wide drawing of single bar charts (half of a laptop's chart grid)
WIDE_WIDTH = 760  # wide drawing of charts that span the page
# The wide drawing is shown from this card width on (static/css/analysis-history.css, .chart-frame):
# 440 px shows a 480-unit drawing at >= 0.92 of its size, 700 px a 760-unit one; 12 px text stays >= 11 px.
CHAR_W = {"chart-text": 9.0, "chart-small": 7.5}  # generous advance per character (digits are widest)

Formatter = Callable[[float], str]
Series = tuple[str, str, Sequence[float]]  # name, colour, one value per x position


# Numbers in the current language's format: '1,234' and '12.5%' in English, '1.234' and '12,5%' in Vietnamese.
def count(value: float) -> str:
    return formats.number_format(int(value), force_grouping=True)


def percent(value: float) -> str:
    return f"{formats.number_format(value * 100, 1)}%"


def whole_percent(value: float) -> str:
    return f"{formats.number_format(round(value * 100), 0)}%"


def seconds(value: float) -> str:
    return gettext("%(s)s s") % {"s": formats.number_format(f"{value:g}")}


def _num(value: float) -> str:
    """Coordinates with at most one decimal: short markup, stable output."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, *, cls: str = "chart-text", anchor: str = "start") -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" class="{cls}" text-anchor="{anchor}" fill="currentColor">'
        f"{escape(content)}</text>"
    )


def _label_width(labels: Sequence[str], width: int, cls: str = "chart-text") -> float:
    """Room for the longest row label, at most 40% of the drawing."""
    longest = max((len(label) for label in labels), default=4)
    return min(longest * CHAR_W[cls] + 12, width * 0.4)


@dataclass(frozen=True)
class Drawing:
    width: int
    height: float
    body: list[str]


def _svg(chart_id: str, title: str, description: str, drawing: Drawing, variant: str) -> str:
    svg_id = escape(f"{chart_id}-{variant}")
    # Safe: every piece of text in `body` went through escape().
    return (
        f'<svg class="chart chart-{variant}" id="{svg_id}" role="img" viewBox="0 0 {drawing.width} '
        f'{_num(drawing.height)}" width="100%" style="max-width: {drawing.width}px" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{svg_id}-title {svg_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{svg_id}-title">{escape(title)}</title>'
        f'<desc id="{svg_id}-desc">{escape(description)}</desc>' + "".join(drawing.body) + "</svg>"
    )


def _chart(chart_id: str, title: str, description: str, draw: Callable[[int], Drawing], wide: int) -> SafeString:
    """The phone and the wide drawing in one frame (CSS shows the one that fits its card)."""
    frame = "chart-frame chart-frame-wide" if wide > BAR_WIDTH else "chart-frame"
    return mark_safe(
        f'<div class="{frame}" id="{escape(chart_id)}">'
        + _svg(chart_id, title, description, draw(NARROW), "narrow")
        + _svg(chart_id, title, description, draw(wide), "wide")
        + "</div>"
    )


def nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def count_step(value: float, max_ticks: int = 5) -> int:
    """A whole gridline step (1, 2 or 5 times a power of ten) giving at most `max_ticks` steps up to `value`."""
    raw = max(value / max_ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude)
    return int(10 * magnitude)  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: no data (drawn as an empty row with "no data")
    color: str


def _bar_rows(body: list[str], *, top: float, x: float, plot_w: float, bars: Sequence[Bar], scale_max: float,
              fmt: Formatter, labels: bool = True, row_h: int = 32) -> float:
    """Rows of horizontal bars starting at (`x`, `top`), each labelled to the left of `x` when `labels`;
    returns the y below the last row."""
    for i, bar in enumerate(bars):
        y = top + i * row_h
        mid = y + row_h / 2
        if labels:
            body.append(_text(x - 10, mid + 5, bar.label, anchor="end"))
        body.append(f'<rect x="{_num(x)}" y="{_num(y + 5)}" width="{_num(plot_w)}" height="{row_h - 10}" '
                    f'rx="4" class="chart-track"/>')
        if bar.value is None:
            body.append(_text(x + 8, mid + 5, gettext("no data"), cls="chart-muted"))
            continue
        length = plot_w * min(bar.value / scale_max, 1) if scale_max else 0
        shown = fmt(bar.value)
        body.append(
            f'<rect x="{_num(x)}" y="{_num(y + 5)}" width="{_num(max(length, 0))}" height="{row_h - 10}" '
            f'rx="4" fill="{escape(bar.color)}"><title>{escape(bar.label)}: {escape(shown)}</title></rect>'
        )
        body.append(_text(x + length + 6, mid + 5, shown, cls="chart-value"))
    return top + row_h * len(bars)


def bar_chart(*, chart_id: str, title: str, description: str, bars: Sequence[Bar], fmt: Formatter = count,
              value_max: float | None = None) -> SafeString:
    """Horizontal bars, one row each: label on the left, value written after the bar."""
    values = [b.value for b in bars if b.value is not None]
    scale_max = value_max if value_max is not None else nice_max(max(values, default=0))
    value_w = max((len(fmt(v)) for v in values), default=4) * 7.5 + 10

    def draw(width: int) -> Drawing:
        body: list[str] = []
        label_w = _label_width([b.label for b in bars], width)
        bottom = _bar_rows(body, top=6, x=label_w, plot_w=width - label_w - value_w, bars=bars,
                           scale_max=scale_max, fmt=fmt)
        return Drawing(width, bottom + 6, body)

    return _chart(chart_id, title, description, draw, BAR_WIDTH)


def paired_bar_chart(*, chart_id: str, title: str, description: str, rows: Sequence[tuple[str, float, float | None]],
                     left_title: str, right_title: str, left_fmt: Formatter = count, right_fmt: Formatter = percent,
                     right_max: float = 1.0) -> SafeString:
    """Two bar panels sharing the row labels (e.g. faces and mean confidence per model): side by side
    when wide, one above the other on a phone."""
    left_max = nice_max(max((r[1] for r in rows), default=0))
    labels = [r[0] for r in rows]
    panels = [
        (left_title, [Bar(label, left, ACCENT) for label, left, _ in rows], left_max, left_fmt),
        (right_title, [Bar(label, right, SECOND) for label, _, right in rows], right_max, right_fmt),
    ]
    value_w = 64

    def draw(width: int) -> Drawing:
        body: list[str] = []
        label_w = _label_width(labels, width)
        if width < 600:  # stacked: each panel under its heading, full width
            y = 0.0
            for heading, bars, scale, fmt in panels:
                body.append(_text(0, y + 18, heading, cls="chart-heading"))
                y = _bar_rows(body, top=y + 26, x=label_w, plot_w=width - label_w - value_w, bars=bars,
                              scale_max=scale, fmt=fmt) + 10
            return Drawing(width, y, body)
        gap = 36  # side by side; the row labels are written once, left of the first panel
        panel_w = (width - label_w - gap) / 2
        bottom = 0.0
        for i, (heading, bars, scale, fmt) in enumerate(panels):
            x = label_w + i * (panel_w + gap)
            body.append(_text(x, 18, heading, cls="chart-heading"))
            bottom = _bar_rows(body, top=30, x=x, plot_w=panel_w - value_w, bars=bars, scale_max=scale, fmt=fmt,
                               labels=i == 0)
        return Drawing(width, bottom + 8, body)

    return _chart(chart_id, title, description, draw, 720)


def _legend(body: list[str], series: Sequence[Series], *, left: float, width: int) -> float:
    """Swatch and name per series, wrapped into rows; returns the height it took. Items are as wide as the
    longest name needs (names are longer in some languages: "Ngạc nhiên")."""
    longest = max((len(name) for name, _, _ in series), default=0)
    item_w = max(88, math.ceil(17 + longest * CHAR_W["chart-small"] + 10))
    per_row = max(1, int((width - left) // item_w))
    for j, (name, color, _) in enumerate(series):
        x = left + (j % per_row) * item_w
        y = 6 + (j // per_row) * 20
        body.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="12" height="12" rx="2" fill="{escape(color)}"/>')
        body.append(_text(x + 17, y + 11, name, cls="chart-small"))
    return 6 + math.ceil(len(series) / per_row) * 20


def _x_labels_every(count_: int, plot_w: float, label_chars: int) -> int:
    """Label every n-th position so that labels (12 px text) never overlap."""
    fits = max(2, int(plot_w // (label_chars * CHAR_W["chart-small"] + 14)))
    return max(1, math.ceil(count_ / fits))


def stacked_column_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str],
                         series: Sequence[Series]) -> SafeString:
    """Vertical columns, one per label (period), stacked by series (name, colour, values) with a legend."""
    totals = [sum(values[i] for _, _, values in series) for i in range(len(labels))]
    step = count_step(max(totals, default=0))
    ticks = max(math.ceil(max(totals, default=0) / step), 1)
    y_max = step * ticks

    def draw(width: int) -> Drawing:
        body: list[str] = []
        left, right, bottom = 44, 8, 30
        plot_w = width - left - right
        plot_h = 220 if width >= 600 else 180
        top = _legend(body, series, left=left, width=width) + 14
        for k in range(ticks + 1):
            y = top + plot_h - plot_h * k / ticks
            body.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}" class="chart-grid"/>')
            body.append(_text(left - 6, y + 4, count(step * k), cls="chart-small", anchor="end"))
        slot = plot_w / max(len(labels), 1)
        column_w = max(min(slot * 0.72, 48), 1)
        every = _x_labels_every(len(labels), plot_w, max((len(label) for label in labels), default=1))
        for i, label in enumerate(labels):
            x = left + i * slot + (slot - column_w) / 2
            base = top + plot_h
            for name, color, values in series:
                value = values[i]
                if not value:
                    continue
                h = plot_h * value / y_max
                base -= h
                body.append(
                    f'<rect x="{_num(x)}" y="{_num(base)}" width="{_num(column_w)}" height="{_num(h)}" '
                    f'fill="{escape(color)}"><title>{escape(label)}, {escape(name)}: {count(value)}</title></rect>'
                )
            if totals[i] and slot >= len(count(totals[i])) * CHAR_W["chart-small"] + 4:
                body.append(_text(x + column_w / 2, base - 4, count(totals[i]), cls="chart-small", anchor="middle"))
            if i % every == 0:
                body.append(_text(x + column_w / 2, top + plot_h + 18, label, cls="chart-small", anchor="middle"))
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
                    f'class="chart-axis"/>')
        return Drawing(width, top + plot_h + bottom, body)

    return _chart(chart_id, title, description, draw, WIDE_WIDTH)


def line_chart(*, chart_id: str, title: str, description: str, xs: Sequence[float], series: Sequence[Series],
               x_fmt: Formatter = seconds, y_fmt: Formatter = whole_percent, y_max: float = 1.0) -> SafeString:
    """One line per series over shared x positions (e.g. seconds), y from 0 to `y_max`, with a legend."""
    first = min(xs, default=0)
    span = (max(xs, default=0) - first) or 1

    def draw(width: int) -> Drawing:
        body: list[str] = []
        left, right, bottom = 44, 12, 30
        plot_w = width - left - right
        plot_h = 200 if width >= 600 else 160
        top = _legend(body, series, left=left, width=width) + 14

        def x(value: float) -> float:
            return left + plot_w * (value - first) / span

        def y(value: float) -> float:
            return top + plot_h * (1 - value / y_max)

        for k in range(5):
            value = y_max * k / 4
            body.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(y(value))}" y2="{_num(y(value))}" '
                        'class="chart-grid"/>')
            body.append(_text(left - 6, y(value) + 4, y_fmt(value), cls="chart-small", anchor="end"))
        ticks = 5 if width >= 600 else 3
        for value in sorted({round(first + span * k / (ticks - 1)) for k in range(ticks)}):
            anchor = "start" if value == first else "end" if value >= first + span else "middle"
            body.append(_text(x(value), top + plot_h + 18, x_fmt(value), cls="chart-small", anchor=anchor))
        for name, color, values in series:
            points = " ".join(f"{_num(x(a))},{_num(y(b))}" for a, b in zip(xs, values, strict=True))
            body.append(f'<polyline points="{points}" fill="none" stroke="{escape(color)}" stroke-width="2.5" '
                        f'stroke-linejoin="round"><title>{escape(name)}</title></polyline>')
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
                    'class="chart-axis"/>')
        return Drawing(width, top + plot_h + bottom, body)

    return _chart(chart_id, title, description, draw, 720)
