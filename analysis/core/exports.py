"""The owner's faces as CSV or JSON, streamed row by row (a large history never sits in memory).

One record per face of a done analysis, oldest first. Probabilities are written in full precision
(Python's shortest round-trip repr), so reading the file back gives the stored floats exactly.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from django.utils import timezone

from accounts.models import User
from analysis.core.date_ranges import DateRange
from analysis.core.statistics import faces_in_range
from ml.emotions import EMOTIONS

PROBABILITY_COLUMNS = [f"p_{emotion}" for emotion in EMOTIONS]
COLUMNS = [
    "analysis_id", "created_at", "file_name", "model", "detector", "face_index",
    "x", "y", "w", "h", "emotion", "confidence", *PROBABILITY_COLUMNS,
]
_VALUES = [
    "analysis_id", "analysis__created_at", "analysis__original_name", "analysis__model_name", "analysis__detector",
    "index", "x", "y", "w", "h", "emotion", "confidence", *PROBABILITY_COLUMNS,
]
# Spreadsheets run cells that start with these as formulas; file names come from users.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def filename(extension: str) -> str:
    return f"fer-faces-{timezone.localdate():%Y%m%d}.{extension}"


def face_records(*, owner: User, date_range: DateRange) -> Iterator[dict]:
    """The owner's faces as plain dicts in COLUMNS order (ids as strings, times as ISO 8601)."""
    rows = (
        faces_in_range(owner=owner, date_range=date_range)
        .order_by("analysis__created_at", "analysis_id", "index")
        .values_list(*_VALUES)
        .iterator(chunk_size=2000)
    )
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        record["analysis_id"] = str(record["analysis_id"])
        record["created_at"] = timezone.localtime(record["created_at"]).isoformat()
        yield record


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _spreadsheet_safe(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def csv_lines(records: Iterable[dict]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for record in records:
        record["file_name"] = _spreadsheet_safe(record["file_name"])
        yield writer.writerow([record[column] for column in COLUMNS])


def json_record(record: dict) -> dict:
    return {
        "analysis_id": record["analysis_id"],
        "created_at": record["created_at"],
        "file_name": record["file_name"],
        "model": record["model"],
        "detector": record["detector"],
        "face_index": record["face_index"],
        "box": {key: record[key] for key in ("x", "y", "w", "h")},
        "emotion": record["emotion"],
        "confidence": record["confidence"],
        "probabilities": {emotion: record[f"p_{emotion}"] for emotion in EMOTIONS},
    }


def json_chunks(records: Iterable[dict], *, date_range: DateRange) -> Iterator[str]:
    """One JSON document: {"exported_at", "date_from", "date_to", "emotions", "faces": [...]}, written in pieces."""
    head = {
        "exported_at": timezone.localtime().isoformat(),
        "date_from": date_range.start.isoformat() if date_range.start else None,
        "date_to": date_range.end.isoformat() if date_range.end else None,
        "emotions": list(EMOTIONS),
    }
    yield json.dumps(head)[:-1] + ', "faces": ['
    for i, record in enumerate(records):
        yield ("," if i else "") + "\n" + json.dumps(json_record(record))
    yield "\n]}\n"
