"""Texts for people in the current language from two sources written without one: ml's errors (an English
template and its values, ml.messages) and the failure reasons stored with an analysis or a video (written
in English by a worker that knows no reader; marked with gettext_noop, translated when shown).
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.translation import gettext, gettext_noop

from ml.messages import MessageError

# Stored reasons that carry an ml message as their `%(detail)s` (written by core.services and
# core.video_services).
PHOTO_UNREADABLE_REASON = gettext_noop("The photo could not be read: %(detail)s.")
VIDEO_UNREADABLE_REASON = gettext_noop("The video could not be analysed: %(detail)s.")
REASONS_WITH_DETAIL = (PHOTO_UNREADABLE_REASON, VIDEO_UNREADABLE_REASON)


def translated(exc: MessageError) -> str:
    """An ml error's message in the current language."""
    template = gettext(exc.template)
    return template % exc.params if exc.params else template


@cache
def _pattern(template: str) -> re.Pattern:
    return re.compile(re.escape(template).replace(re.escape("%(detail)s"), "(?P<detail>.+)"), re.S)


def stored_reason(text: str) -> str:
    """A stored reason in the current language; its ml detail too when that has no values in it (a detail
    with values, e.g. a size, stays as stored)."""
    if not text:
        return text
    shown = gettext(text)
    if shown != text:
        return shown
    for template in REASONS_WITH_DETAIL:
        match = _pattern(template).fullmatch(text)
        if match:
            return gettext(template) % {"detail": gettext(match["detail"])}
    return text
