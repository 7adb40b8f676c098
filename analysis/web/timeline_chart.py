"""An emotion timeline (a live session, or one face of a video): one line per emotion seen, its share
over time, drawn by `charts.line_chart` in the site's one chart style."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from analysis.core.palette import colour
from analysis.models import emotion_name
from analysis.web import charts
from ml.emotions import EMOTIONS

SESSION_TITLE = _("Share of each expression over the session")


def timeline_svg(timeline: list[dict], *, title: str = SESSION_TITLE, chart_id: str = "chart-timeline") -> SafeString:
    """`timeline`: [{"t": seconds, "shares": {emotion: 0-1}}]; `chart_id` must be unique on its page."""
    title = str(title)
    if not timeline:
        return format_html('<p class="help">{}</p>', _("No faces were analysed in this session."))
    seen = [e for e in EMOTIONS if any(p["shares"].get(e) for p in timeline)]
    peaks = ", ".join(
        _("%(emotion)s: up to %(peak)s") % {"emotion": emotion_name(e).lower(),
                                            "peak": charts.whole_percent(max(p["shares"].get(e, 0) for p in timeline))}
        for e in seen)
    # The x axis spans the seconds that have data (the camera and model take a moment to start).
    return charts.line_chart(
        chart_id=chart_id,
        title=title,
        description=_("%(title)s, second by second.") % {"title": title} + f" {peaks}.",
        xs=[p["t"] for p in timeline],
        series=[(emotion_name(e), colour(e), [p["shares"].get(e, 0) for p in timeline]) for e in seen],
    )
