"""What the interface says about a model in plain words, computed from its figures (never typed in).

- `label`: "<Title>: <accuracy>% on FER2013 test faces" (PublicTest accuracy, rounded to a whole percent).
- `quality`: "poor" when a model's PublicTest accuracy is more than POOR_MARGIN (10 points) below the best
  single model's, with a reason in words; "ok" otherwise; "unmeasured" without a PublicTest figure. A poor
  model stays available to those who ask for it by name, but is never the default.
"""

from __future__ import annotations

from typing import Any

POOR_MARGIN = 0.10
TITLES = {"fast": "Fast", "vgg16": "VGG16", "resnet50": "ResNet50", "ensemble": "Ensemble"}


def title(name: str) -> str:
    return " + ".join(TITLES.get(part, part) for part in name.split("+"))


def quality(name: str, accuracy: float | None, best: tuple[str, float] | None) -> dict[str, Any]:
    """{"quality", "quality_reason"} for a model with PublicTest `accuracy`, given the best single model's
    (name, accuracy)."""
    if accuracy is None:
        return {"quality": "unmeasured", "quality_reason": "not yet measured on the FER2013 test faces"}
    gap = round((best[1] - accuracy) * 100, 2) if best is not None else 0.0  # points; rounded against float noise
    if best is not None and gap > POOR_MARGIN * 100:
        return {"quality": "poor",
                "quality_reason": f"{accuracy:.1%} on FER2013 test faces, {gap:.1f} points below "
                                  f"{title(best[0])} ({best[1]:.1%}): more than {POOR_MARGIN * 100:.0f} points "
                                  f"below the best model"}
    return {"quality": "ok", "quality_reason": None}


def label(name: str, accuracy: float | None, verdict: str) -> str:
    if accuracy is None:
        return f"{title(name)}: not yet measured on FER2013 test faces"
    text = f"{title(name)}: {accuracy:.0%} on FER2013 test faces"
    return text + (" (much less accurate than the others)" if verdict == "poor" else "")
