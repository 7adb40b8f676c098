"""One video's results as CSV or JSON: one row per track per sampled frame, in time order.

Columns: time in seconds, track number, box, top emotion and its probability, the 7 probabilities
(as stored: 4 decimal places). Built from the stored tracks, streamed row by row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from analysis.core.exports import PROBABILITY_COLUMNS
from analysis.core.video_results import track_samples
from analysis.models import Video, VideoTrack
from ml.emotions import EMOTIONS

COLUMNS = ["t", "track", "x", "y", "w", "h", "emotion", "confidence", *PROBABILITY_COLUMNS]


def filename(video: Video, extension: str) -> str:
    stem = video.original_name.rsplit(".", 1)[0] or "video"
    return f"{stem}-faces.{extension}"


def sample_rows(tracks: Iterable[VideoTrack]) -> list[dict]:
    """Every track's samples, ordered by time then track (a video's rows fit in memory: its tracks do)."""
    rows = [{"track": track.number, **sample} for track in tracks for sample in track_samples(track)]
    rows.sort(key=lambda row: (row["t"], row["track"]))
    return rows


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(video: Video, tracks: Iterable[VideoTrack]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for row in sample_rows(tracks):
        box, p = row["box"], row["probabilities"]
        yield writer.writerow([row["t"], row["track"], box["x"], box["y"], box["w"], box["h"], row["emotion"],
                               row["confidence"], *(p[e] for e in EMOTIONS)])


def json_chunks(video: Video, tracks: Iterable[VideoTrack]) -> Iterator[str]:
    head = {"video_id": str(video.id), "file_name": video.original_name, "model": video.model_name,
            "detector": video.detector, "sample_fps": video.sample_fps, "duration_s": video.duration_s,
            "emotions": list(EMOTIONS)}
    yield json.dumps(head)[:-1] + ', "rows": ['
    for i, row in enumerate(sample_rows(tracks)):
        yield ("," if i else "") + "\n" + json.dumps(row)
    yield "\n]}\n"
