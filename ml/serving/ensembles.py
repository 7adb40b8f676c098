"""Validated ensembles: the records in `ensembles.json` and whether an ensemble may be offered.

`python -m ml.calibrate --model ensemble` (or `a+b`) fits member weights, a temperature and an "uncertain"
threshold on the validation hold-out and writes one record per ensemble name; `python -m ml.evaluate
--write-card` adds its PublicTest figures. Records are read from `ensembles.json` in every model search
directory (later directories win, as for models) and written to the last one.

An ensemble is offered only when its record says its validation accuracy is at least its best member's with
two or more members weighted, and the record still matches its members: the same names, each with the
training run and temperature it was validated with (`member_fingerprint`). Retraining or recalibrating a
member withdraws the ensemble until it is calibrated again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ml.model_card import ModelCard, ModelFileError

FILE = "ensembles.json"
# The parts of a member's training record that change with every run (not its test figures, which
# ml.evaluate rewrites, nor notes about export).
_RUN_KEYS = ("recipe", "seconds", "epochs_run", "best_epoch", "train_faces", "validation_faces")


def read_records(directories: list[Path]) -> dict[str, dict[str, Any]]:
    """Name -> record, merged over the directories' ensembles.json files (later ones win)."""
    merged: dict[str, dict[str, Any]] = {}
    for directory in directories:
        path = directory / FILE
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError:
            raise ModelFileError(f"ensemble figures are not valid JSON: {path}") from None
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise ModelFileError(f"ensemble figures must map names to records: {path}")
        merged.update(data)
    return merged


def update_record(path: Path, name: str, fields: dict[str, Any]) -> None:
    """Merge `fields` into the record `name` of the file at `path` (created when missing)."""
    stored = json.loads(path.read_text()) if path.is_file() else {}
    stored.setdefault(name, {}).update(fields)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2) + "\n")


def member_fingerprint(card: ModelCard) -> str:
    """Identifies the member an ensemble was validated with: its training run and its temperature."""
    run = {key: card.training.get(key) for key in _RUN_KEYS}
    text = json.dumps({"run": run, "temperature": card.calibration.get("temperature")}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def offer_status(name: str, members: list[str], record: dict[str, Any] | None,
                 cards: dict[str, ModelCard]) -> tuple[bool, str]:
    """(offered, why): whether the ensemble `name` of `members` may be served, and a sentence saying why."""
    fix = f"run python -m ml.calibrate --model {name} --data TRAINING_DATA"
    if not record or "weights" not in record:
        return False, f"ensemble {name!r} has not been validated; {fix}"
    if sorted(record.get("members", [])) != sorted(members):
        return False, (f"ensemble {name!r} was validated with {', '.join(record.get('members', []))}, "
                       f"not {', '.join(members)}; {fix}")
    stored = record.get("member_fingerprints", {})
    changed = [m for m in members if stored.get(m) != member_fingerprint(cards[m])]
    if changed:
        return False, f"ensemble {name!r}: {', '.join(changed)} changed since it was validated; {fix}"
    return bool(record.get("offered")), str(record.get("reason", ""))


def member_weights(record: dict[str, Any], members: list[str]) -> list[float]:
    weights = record.get("weights", {})
    return [float(weights.get(m, 0.0)) for m in members]
