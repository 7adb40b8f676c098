"""The emotion timeline of a live session: one line per emotion seen, its share of the faces over time,
drawn by `charts.line_chart` in the site's one chart style."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString

from analysis.core.palette import colour
from analysis.web import charts
from ml.emotions import EMOTIONS


def timeline_svg(timeline: list[dict]) -> SafeString:
    if not timeline:
        return format_html('<p class="help">{}</p>', "No faces were analysed in this session.")
    seen = [e for e in EMOTIONS if any(p["shares"].get(e) for p in timeline)]
    peaks = ", ".join(f"{e}: up to {max(p['shares'].get(e, 0) for p in timeline) * 100:.0f}%" for e in seen)
    # The x axis spans the seconds that have data (the camera and model take a moment to start).
    return charts.line_chart(
        chart_id="chart-timeline",
        title="Share of each expression over the session",
        description=f"Share of the faces showing each expression, second by second. {peaks}.",
        xs=[p["t"] for p in timeline],
        series=[(e.capitalize(), colour(e), [p["shares"].get(e, 0) for p in timeline]) for e in seen],
    )
