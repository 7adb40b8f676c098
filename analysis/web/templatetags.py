"""Template helpers for drawing results (library `analysis_tags`, registered in settings.TEMPLATES):
the emotion palette as CSS variables, emotion colours, percentages, label geometry in photo pixels."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from analysis.core import palette

register = template.Library()


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
