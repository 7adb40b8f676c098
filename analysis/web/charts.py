"""Server-rendered SVG charts: plain Python building SVG markup, no JavaScript, nothing fetched.

Every chart is an `<svg role="img">` labelled by its own `<title>` and `<desc>`, with the values
written next to the bars and a `<title>` tooltip on each bar; pages add a data table beside it.
Text and grid lines take their colours from CSS classes (see static/css/analysis-history.css), so
charts follow the light and dark schemes; bars take the fixed colour of their emotion.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

ACCENT = "#4f46e5"
SECOND = "#0891b2"

Formatter = Callable[[float], str]


def count(value: float) -> str:
    return f"{int(value):,}"


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _num(value: float) -> str:
    """Coordinates with at most one decimal: short markup, stable output."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, *, cls: str = "chart-text", anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" class="{cls}" text-anchor="{anchor}" fill="currentColor"{extra}>'
        f"{escape(content)}</text>"
    )


def _svg(chart_id: str, title: str, description: str, width: int, height: int, body: list[str]) -> SafeString:
    chart_id = escape(chart_id)
    # Safe: every piece of text in `body` went through escape().
    return mark_safe(
        f'<svg class="chart" id="{chart_id}" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
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
    value: float | None  # None: no data (drawn as an empty row with a dash)
    color: str


def bar_chart(*, chart_id: str, title: str, description: str, bars: Sequence[Bar], fmt: Formatter = count,
              value_max: float | None = None) -> SafeString:
    """Horizontal bars, one row each: label on the left, value written after the bar."""
    width, label_w, value_w, row_h, top = 480, 80, 64, 32, 6
    plot_w = width - label_w - value_w
    height = top * 2 + row_h * len(bars)
    values = [b.value for b in bars if b.value is not None]
    scale_max = value_max if value_max is not None else nice_max(max(values, default=0))
    body = []
    for i, bar in enumerate(bars):
        y = top + i * row_h
        mid = y + row_h / 2
        body.append(_text(label_w - 10, mid + 5, bar.label, anchor="end"))
        body.append(f'<rect x="{label_w}" y="{_num(y + 5)}" width="{plot_w}" height="{row_h - 10}" '
                    f'rx="4" class="chart-track"/>')
        if bar.value is None:
            body.append(_text(label_w + 8, mid + 5, "no data", cls="chart-muted"))
            continue
        length = plot_w * min(bar.value / scale_max, 1) if scale_max else 0
        shown = fmt(bar.value)
        body.append(
            f'<rect x="{label_w}" y="{_num(y + 5)}" width="{_num(max(length, 0))}" height="{row_h - 10}" rx="4" '
            f'fill="{escape(bar.color)}"><title>{escape(bar.label)}: {escape(shown)}</title></rect>'
        )
        body.append(_text(label_w + length + 8, mid + 5, shown, cls="chart-value"))
    return _svg(chart_id, title, description, width, height, body)


def paired_bar_chart(*, chart_id: str, title: str, description: str, rows: Sequence[tuple[str, float, float | None]],
                     left_title: str, right_title: str, left_fmt: Formatter = count, right_fmt: Formatter = percent,
                     right_max: float = 1.0) -> SafeString:
    """Two horizontal bar panels side by side sharing the row labels (e.g. faces and mean confidence per model)."""
    width, label_w, gap, row_h, head = 720, 120, 36, 34, 30
    panel_w = (width - label_w - gap) / 2
    bar_w = panel_w - 70
    height = head + row_h * len(rows) + 8
    left_max = nice_max(max((r[1] for r in rows), default=0))
    right_x = label_w + panel_w + gap
    body = [
        _text(label_w, 18, left_title, cls="chart-heading"),
        _text(right_x, 18, right_title, cls="chart-heading"),
    ]
    for i, (label, left, right) in enumerate(rows):
        y = head + i * row_h
        mid = y + row_h / 2
        body.append(_text(label_w - 10, mid + 5, label, anchor="end"))
        for x, value, scale, fmt, color, name in (
            (label_w, left, left_max, left_fmt, ACCENT, left_title),
            (right_x, right, right_max, right_fmt, SECOND, right_title),
        ):
            body.append(f'<rect x="{_num(x)}" y="{_num(y + 6)}" width="{_num(bar_w)}" height="{row_h - 12}" '
                        f'rx="4" class="chart-track"/>')
            if value is None:
                body.append(_text(x + 8, mid + 5, "no data", cls="chart-muted"))
                continue
            length = bar_w * min(value / scale, 1) if scale else 0
            shown = fmt(value)
            body.append(
                f'<rect x="{_num(x)}" y="{_num(y + 6)}" width="{_num(length)}" height="{row_h - 12}" rx="4" '
                f'fill="{color}"><title>{escape(label)}, {escape(name)}: {escape(shown)}</title></rect>'
            )
            body.append(_text(x + length + 6, mid + 5, shown, cls="chart-value"))
    return _svg(chart_id, title, description, width, height, body)


def stacked_column_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str],
                         series: Sequence[tuple[str, str, Sequence[int]]], max_labels: int = 12) -> SafeString:
    """Vertical columns, one per label (period), stacked by series (name, colour, values) with a legend."""
    width, height = 760, 340
    left, right, top, bottom = 48, 12, 44, 54
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    totals = [sum(values[i] for _, _, values in series) for i in range(len(labels))]
    step = count_step(max(totals, default=0))
    ticks = max(math.ceil(max(totals, default=0) / step), 1)
    y_max = step * ticks
    body = []
    # Legend along the top.
    legend_w = (width - left) / max(len(series), 1)
    for j, (name, color, _) in enumerate(series):
        x = left + j * legend_w
        body.append(f'<rect x="{_num(x)}" y="8" width="12" height="12" rx="2" fill="{escape(color)}"/>')
        body.append(_text(x + 17, 19, name, cls="chart-small"))
    # Gridlines and y-axis labels.
    for k in range(ticks + 1):
        y = top + plot_h - plot_h * k / ticks
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}" class="chart-grid"/>')
        body.append(_text(left - 6, y + 4, f"{step * k:,}", cls="chart-small", anchor="end"))
    # Columns.
    slot = plot_w / n
    column_w = max(min(slot * 0.72, 48), 1)
    every = math.ceil(len(labels) / max_labels) if labels else 1
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
                f'fill="{escape(color)}"><title>{escape(label)}, {escape(name)}: {value:,}</title></rect>'
            )
        if totals[i] and len(labels) <= 31:
            body.append(_text(x + column_w / 2, base - 4, f"{totals[i]:,}", cls="chart-small", anchor="middle"))
        if i % every == 0:
            body.append(_text(x + column_w / 2, top + plot_h + 18, label, cls="chart-small", anchor="middle"))
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
                f'class="chart-axis"/>')
    return _svg(chart_id, title, description, width, height, body)
