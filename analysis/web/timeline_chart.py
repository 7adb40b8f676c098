"""The emotion timeline of a live session as an inline SVG: one line per emotion, share over time."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from analysis.core.palette import EMOTION_COLOURS
from ml.emotions import EMOTIONS

WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 720, 260, 44, 28, 12, 12


SESSION_LABEL = "Share of each expression over the session, by time"


def timeline_svg(timeline: list[dict], *, label: str = SESSION_LABEL) -> SafeString:
    if not timeline:
        return format_html('<p class="help">{}</p>', "No faces were analysed in this session.")
    # The x axis spans the seconds that have data (the camera and model take a moment to start).
    first = min(p["t"] for p in timeline)
    span = max(p["t"] for p in timeline) - first or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + plot_w * (t - first) / span

    def y(share: float) -> float:
        return TOP + plot_h * (1 - share)

    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
        '<text x="{}" y="{}" class="axis" text-anchor="end">{}%</text>',
        ((LEFT, WIDTH - RIGHT, y(s), y(s), LEFT - 6, y(s) + 4, int(s * 100)) for s in (0, 0.25, 0.5, 0.75, 1)),
    )
    ticks = format_html_join(
        "", '<text x="{}" y="{}" class="axis" text-anchor="middle">{} s</text>',
        ((x(t), HEIGHT - 8, t) for t in sorted({first, first + span // 2, first + span})),
    )
    lines = []
    for emotion in EMOTIONS:
        if not any(p["shares"].get(emotion) for p in timeline):
            continue
        points = " ".join(f"{x(p['t']):.1f},{y(p['shares'].get(emotion, 0)):.1f}" for p in timeline)
        lines.append(format_html(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-linejoin="round">'
            "<title>{}</title></polyline>", points, EMOTION_COLOURS[emotion], emotion.capitalize(),
        ))
    legend = format_html_join(
        "", '<li><span class="swatch" style="background:{}"></span>{}</li>',
        ((EMOTION_COLOURS[e], e.capitalize()) for e in EMOTIONS),
    )
    return format_html(
        '<svg class="timeline" viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}{}</svg><ul class="legend">{}</ul>',
        WIDTH, HEIGHT, label, grid, ticks,
        SafeString("".join(lines)), legend,
    )
