"""Template helpers (library `analysis_tags`, registered in settings.TEMPLATES): the emotion palette as
CSS variables, emotion colours, percentages, label geometry in photo pixels, and the site's one way of
writing dates, durations and a result's summary (the upload page's script gets the same summary in
the status JSON)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from analysis.core import messages, palette
from analysis.core.choices import is_uncertain
from analysis.models import emotion_name as _emotion_name

register = template.Library()

# The site's one way of writing dates, per language: fer_site/formats/<language>/formats.py
# ('3 Dec 2026, 14:05' in English, '14:05, 03/12/2026' in Vietnamese).


@register.filter
def when(value: dt.datetime | None) -> str:
    """A moment in the current language's format, in the current time zone."""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else ""


@register.filter
def day(value: dt.date | None) -> str:
    """A day in the current language's format (a moment is taken in the current time zone)."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT") if value else ""


@register.filter
def duration(value: float | None) -> str:
    """Seconds as people read them: '0.8 s', '42 s', '3 min 12 s', '1 h 5 min' (decimal comma in Vietnamese)."""
    if value is None:
        return "—"
    value = float(value)
    if value < 10:
        return _("%(s)s s") % {"s": formats.number_format(value, 1)}
    whole = round(value)
    if whole < 60:
        return _("%(s)s s") % {"s": whole}
    if whole < 3600:
        minutes, secs = divmod(whole, 60)
        if secs:
            return _("%(m)s min %(s)s s") % {"m": minutes, "s": secs}
        return _("%(m)s min") % {"m": minutes}
    hours, minutes = divmod(whole // 60, 60)
    return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes} if minutes else _("%(h)s h") % {"h": hours}


@register.filter
def seconds_from_ms(value: float | None) -> float | None:
    return None if value is None else float(value) / 1000


@register.filter
def result_summary(analysis) -> str:
    """'3 faces · Happy', 'No face found', or why it failed; empty while it runs."""
    if analysis.status == "done":
        if not analysis.face_count:
            return _("No face found")
        top = f" · {_emotion_name(analysis.top_emotion)}" if analysis.top_emotion else ""
        faces = ngettext("%(n)d face", "%(n)d faces", analysis.face_count) % {"n": analysis.face_count}
        return faces + top
    if analysis.status == "failed":
        return reason(analysis.error)
    return ""


@register.filter
def reason(text: str) -> str:
    """A stored failure reason in the current language: they are stored in English (written where no reader's
    language is known) and marked with gettext_noop; a reason with details in it stays as stored."""
    return messages.stored_reason(text)


@register.simple_tag
def emotion_palette() -> str:
    """A `<style>` rule giving every page the palette as `--emotion-<name>` custom properties."""
    return format_html("<style>:root {{ {} }}</style>", palette.css_variables())


@register.filter
def emotion_colour(emotion: str) -> str:
    return palette.colour(emotion)


@register.filter
def emotion_name(emotion: str) -> str:
    """An emotion's code ('happy') as people read it, in the current language."""
    return _emotion_name(emotion)


@register.filter
def percent(value: float) -> str:
    """0.456 -> '46%' (digits in the current language's format)."""
    return f"{formats.number_format(round(float(value) * 100), 0)}%"


@register.filter
def uncertain(face) -> bool:
    """The face's confidence is under its model's calibrated threshold: its label is shown as a guess."""
    return is_uncertain(face.analysis.model_name, face.confidence)


# Model titles in words; VGG16 and ResNet50 are the architectures' own names in every language.
MODEL_TITLES = {"fast": pgettext_lazy("model name", "Fast"), "ensemble": pgettext_lazy("model name", "Ensemble"),
                "vgg16": "VGG16", "resnet50": "ResNet50"}


def model_title(name: str) -> str:
    return " + ".join(str(MODEL_TITLES.get(part, part)) for part in name.split("+"))


@register.filter
def model_label(model: dict) -> str:
    """A model as the pickers name it: its title and PublicTest accuracy in words, poor models said so."""
    title = model_title(model["name"])
    if model.get("accuracy") is None:
        return _("%(model)s: not yet measured on FER2013 test faces") % {"model": title}
    text = _("%(model)s: %(accuracy)s on FER2013 test faces") % {"model": title, "accuracy": percent(model["accuracy"])}
    return text + (" " + _("(much less accurate than the others)") if model.get("quality") == "poor" else "")


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
    # "12. Surprise 100%": about 0.6 em per character in the UI font; never narrower than the box. The name is
    # the one shown, in the current language ("Ngạc nhiên" is longer than "surprise").
    characters = len(_emotion_name(face.emotion)) + 9
    return max(face.w, round(characters * label_font(analysis) * 0.6))
