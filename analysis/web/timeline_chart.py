"""An emotion timeline (a live session, or one face of a video): one line per emotion seen, its share
over time, drawn by `charts.line_chart` in the site's one chart style."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString

from analysis.core.palette import colour
from analysis.web import charts
from ml.emotions import EMOTIONS

SESSION_TITLE = "Share of each expression over the session"


def timeline_svg(timeline: list[dict], *, title: str = SESSION_TITLE, chart_id: str = "chart-timeline") -> SafeString:
    """`timeline`: [{"t": seconds, "shares": {emotion: 0-1}}]; `chart_id` must be unique on its page."""
    if not timeline:
        return format_html('<p class="help">{}</p>', "No faces were analysed in this session.")
    seen = [e for e in EMOTIONS if any(p["shares"].get(e) for p in timeline)]
    peaks = ", ".join(f"{e}: up to {max(p['shares'].get(e, 0) for p in timeline) * 100:.0f}%" for e in seen)
    # The x axis spans the seconds that have data (the camera and model take a moment to start).
    return charts.line_chart(
        chart_id=chart_id,
        title=title,
        description=f"{title}, second by second. {peaks}.",
        xs=[p["t"] for p in timeline],
        series=[(e.capitalize(), colour(e), [p["shares"].get(e, 0) for p in timeline]) for e in seen],
    )
