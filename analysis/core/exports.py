"""The owner's faces as CSV or JSON, streamed row by row (a large history never sits in memory).

One record per face of a done analysis, oldest first; a done photo with no face found is one
record whose face fields are empty (CSV) or null (JSON), so the export lists every analysed photo.
Confidence and probabilities are rounded to 4 decimal places: the models are not more precise than
that, and 0.9123 reads better in a spreadsheet than 0.9123456789012345.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from django.utils import timezone

from accounts.models import User
from analysis.core.date_ranges import DateRange
from analysis.core.statistics import analyses_in_range
from analysis.models import Analysis
from ml.emotions import EMOTIONS

DECIMALS = 4

PROBABILITY_COLUMNS = [f"p_{emotion}" for emotion in EMOTIONS]
FACE_COLUMNS = ["face_index", "x", "y", "w", "h", "emotion", "confidence", *PROBABILITY_COLUMNS]
COLUMNS = ["analysis_id", "created_at", "file_name", "model", "detector", *FACE_COLUMNS]
_ROUNDED = ["confidence", *PROBABILITY_COLUMNS]
# Read from the analyses with a LEFT JOIN on their faces: an analysis without faces gives one row of NULLs.
_VALUES = [
    "id", "created_at", "original_name", "model_name", "detector",
    "faces__index", "faces__x", "faces__y", "faces__w", "faces__h", "faces__emotion", "faces__confidence",
    *(f"faces__{column}" for column in PROBABILITY_COLUMNS),
]
# Spreadsheets run cells that start with these as formulas; file names come from users.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def filename(extension: str) -> str:
    return f"fer-faces-{timezone.localdate():%Y%m%d}.{extension}"


def face_records(*, owner: User, date_range: DateRange) -> Iterator[dict]:
    """The owner's faces as plain dicts in COLUMNS order (ids as strings, times as ISO 8601, probabilities
    rounded); a done analysis without faces gives one record whose face fields are None."""
    rows = (
        analyses_in_range(owner=owner, date_range=date_range)
        .filter(status=Analysis.Status.DONE)
        .order_by("created_at", "id", "faces__index")
        .values_list(*_VALUES)
        .iterator(chunk_size=2000)
    )
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        record["analysis_id"] = str(record["analysis_id"])
        record["created_at"] = timezone.localtime(record["created_at"]).isoformat()
        for column in _ROUNDED:
            if record[column] is not None:
                record[column] = round(record[column], DECIMALS)
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
    has_face = record["face_index"] is not None
    return {
        "analysis_id": record["analysis_id"],
        "created_at": record["created_at"],
        "file_name": record["file_name"],
        "model": record["model"],
        "detector": record["detector"],
        "face_index": record["face_index"],
        "box": {key: record[key] for key in ("x", "y", "w", "h")} if has_face else None,
        "emotion": record["emotion"],
        "confidence": record["confidence"],
        "probabilities": {emotion: record[f"p_{emotion}"] for emotion in EMOTIONS} if has_face else None,
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
