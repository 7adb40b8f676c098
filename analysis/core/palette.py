"""The emotion colours: one palette for the photo overlays, the charts, the annotated downloads,
the live overlay and the CSS. Pages get it as CSS custom properties (`--emotion-<name>`, written
by the `emotion_palette` template tag in base.html), which the stylesheets and scripts read.
"""

from __future__ import annotations

from ml.emotions import EMOTIONS

EMOTION_COLOURS: dict[str, str] = {
    "angry": "#dc3545",
    "disgust": "#6f42c1",
    "fear": "#fd7e14",
    "happy": "#198754",
    "sad": "#0d6efd",
    "surprise": "#d63384",
    "neutral": "#6c757d",
}
UNKNOWN_COLOUR = "#888888"
assert tuple(EMOTION_COLOURS) == EMOTIONS, "one colour per emotion, in the classes' order"


def colour(emotion: str) -> str:
    return EMOTION_COLOURS.get(emotion, UNKNOWN_COLOUR)


def rgb(emotion: str) -> tuple[int, int, int]:
    value = colour(emotion).lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def css_variables() -> str:
    """`--emotion-angry: #dc3545; ...` for a `:root` rule."""
    return " ".join(f"--emotion-{emotion}: {value};" for emotion, value in EMOTION_COLOURS.items())
