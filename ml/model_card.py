"""Model directories: weights plus a JSON model card.

A model directory holds `model.weights.h5` (weights only: architecture is rebuilt from code, so
the file stays small and loads on any Keras backend) or its compact copy (`ml.weights_io`),
optionally `model.onnx` (the same model exported for serving, `ml.training.onnx_export`), and
`card.json`:

    {"name", "arch", "description", "classes", "input": {"size", "channels"},
     "training": {...recipe, data, epochs, time, device...},
     "metrics": {"validation": {...}, "PublicTest": {"accuracy", "per_class", "confusion", "ece", ...}},
     "onnx": {"file", "sha256", "opset", "input", "output", "tools", "parity": {...}, ...},
     "calibration": {"temperature", "threshold", "rule", "validation_ece_before", "validation_ece_after", ...}}

`onnx` is empty until the model is exported; serving uses the ONNX file only when the card
records it, so a retrained model (whose new card has no record) never meets a stale export.
`calibration` is written by `python -m ml.calibrate` (fitted on the validation hold-out) and applied when the
model is served (`ml.serving.calibration`); a card without it is served uncalibrated.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ml.emotions import EMOTIONS
from ml.input_spec import InputSpec

CARD_FILE = "card.json"
WEIGHTS_FILE = "model.weights.h5"
ONNX_FILE = "model.onnx"


class ModelFileError(RuntimeError):
    """A model directory whose card or weights are missing or unreadable (names the file)."""


@dataclass
class ModelCard:
    name: str
    arch: str
    input: InputSpec
    description: str = ""
    classes: list[str] = field(default_factory=lambda: list(EMOTIONS))
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    onnx: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["input"] = self.input.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        return cls(
            name=data["name"],
            arch=data["arch"],
            input=InputSpec(**data["input"]),
            description=data.get("description", ""),
            classes=list(data.get("classes", EMOTIONS)),
            training=dict(data.get("training", {})),
            metrics=dict(data.get("metrics", {})),
            onnx=dict(data.get("onnx", {})),
            calibration=dict(data.get("calibration") or {}),
        )

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / CARD_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, directory: str | Path) -> ModelCard:
        path = Path(directory) / CARD_FILE
        try:
            card = cls.from_dict(json.loads(path.read_text()))
        except FileNotFoundError:
            raise ModelFileError(f"model card not found: {path}") from None
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"model card is not valid: {path}: {exc}") from None
        if tuple(card.classes) != EMOTIONS:
            raise ModelFileError(f"model card lists classes {card.classes}, expected {list(EMOTIONS)}: {path}")
        return card
