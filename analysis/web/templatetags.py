"""Template helpers (library `analysis_tags`, registered in settings.TEMPLATES): the emotion palette as
CSS variables, emotion colours, percentages, label geometry in photo pixels, and the site's one way of
writing dates, durations and a result's summary (the upload page's script gets the same summary in
the status JSON)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html

from analysis.core import palette

register = template.Library()

DATE_FORMAT = "j M Y"  # 3 Dec 2026, as the statistics ranges (core.date_ranges) write dates
DATETIME_FORMAT = "j M Y, H:i"


@register.filter
def when(value: dt.datetime | None) -> str:
    """A moment in the site's one format, in the current time zone: '3 Dec 2026, 14:05'."""
    return dateformat.format(timezone.localtime(value), DATETIME_FORMAT) if value else ""


@register.filter
def day(value: dt.date | None) -> str:
    """A day in the site's one format: '3 Dec 2026' (a moment is taken in the current time zone)."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return dateformat.format(value, DATE_FORMAT) if value else ""


@register.filter
def duration(value: float | None) -> str:
    """Seconds as people read them: '0.8 s', '42 s', '3 min 12 s', '1 h 5 min'."""
    if value is None:
        return "—"
    value = float(value)
    if value < 10:
        return f"{value:.1f} s"
    whole = round(value)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, secs = divmod(whole, 60)
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(whole // 60, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@register.filter
def seconds_from_ms(value: float | None) -> float | None:
    return None if value is None else float(value) / 1000


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


@register.filter
def result_summary(analysis) -> str:
    """'3 faces · Happy', 'No face found', or why it failed; empty while it runs."""
    if analysis.status == "done":
        if not analysis.face_count:
            return "No face found"
        top = f" · {analysis.top_emotion.capitalize()}" if analysis.top_emotion else ""
        return plural(analysis.face_count, "face") + top
    if analysis.status == "failed":
        return analysis.error
    return ""


@register.simple_tag
def emotion_palette() -> str:
    """A `<style>` rule giving every page the palette as `--emotion-<name>` custom properties."""
    return format_html("<style>:root {{ {} }}</style>", palette.css_variables())


@register.filter
def emotion_colour(emotion: str) -> str:
    return palette.colour(emotion)


@register.filter
def percent(value: float) -> str:
    return f"{float(value):.0%}"


@register.filter
def percent_width(value: float) -> str:
    return f"{max(0.0, min(1.0, float(value))) * 100:.1f}%"


def _scale(analysis) -> float:
    # Labels and lines scale with the photo so they read the same at any size on screen.
    return max(analysis.width, analysis.height) / 640


@register.filter
def stroke_width(analysis) -> int:
    return max(2, round(3 * _scale(analysis)))


@register.filter
def label_font(analysis) -> int:
    return max(10, round(16 * _scale(analysis)))


@register.filter
def label_height(analysis) -> int:
    return round(label_font(analysis) * 1.4)


@register.filter
def label_y(face, analysis) -> int:
    height = label_height(analysis)
    return face.y - height if face.y >= height else face.y + face.h


@register.filter
def label_text_y(face, analysis) -> int:
    return label_y(face, analysis) + round(label_height(analysis) * 0.75)


@register.filter
def label_width(face, analysis) -> int:
    # "12. Surprise 100%": about 0.6 em per character in the UI font; never narrower than the box.
    characters = len(face.emotion) + 9
    return max(face.w, round(characters * label_font(analysis) * 0.6))
