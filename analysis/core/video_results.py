"""A video's stored tracks in the shapes their readers need: per track (the API's timeline), per
sampled frame (the page's overlay, the annotated MP4) and as summaries. Read-only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from analysis.core.choices import uncertain_below
from analysis.core.palette import rgb
from analysis.models import Video, VideoTrack
from ml.emotions import EMOTIONS


def _probabilities(row: list[float]) -> dict[str, float]:
    return dict(zip(EMOTIONS, row, strict=True))


def _top(row: list[float]) -> tuple[str, float]:
    best = max(range(len(EMOTIONS)), key=row.__getitem__)
    return EMOTIONS[best], row[best]


def track_samples(track: VideoTrack) -> Iterator[dict]:
    """`{t, box, emotion, confidence, probabilities}` per sampled frame the face was found in."""
    timeline = track.timeline
    for t, (x, y, w, h), p in zip(timeline["t"], timeline["box"], timeline["p"], strict=True):
        emotion, confidence = _top(p)
        yield {"t": t, "box": {"x": x, "y": y, "w": w, "h": h}, "emotion": emotion, "confidence": confidence,
               "probabilities": _probabilities(p)}


def track_summary(track: VideoTrack) -> dict:
    return {
        "frames": track.frames,
        "first_t": track.first_t,
        "last_t": track.last_t,
        "emotion": track.emotion,
        "shares": {e: round(s, 4) for e, s in track.shares.items()},
        "mean_probabilities": track.mean_probabilities,
    }


def frames_payload(video: Video, tracks: Iterable[VideoTrack]) -> dict:
    """What the result page's script draws: for each sampled time, the faces found then.

    `faces` entries are `[track number, x, y, w, h, emotion index, confidence]` to keep the download small.
    """
    by_time: dict[float, list[list]] = {}
    for track in tracks:
        timeline = track.timeline
        for t, box, p in zip(timeline["t"], timeline["box"], timeline["p"], strict=True):
            emotion, confidence = _top(p)
            by_time.setdefault(t, []).append([track.number, *box, EMOTIONS.index(emotion), confidence])
    return {
        "width": video.width,
        "height": video.height,
        "sample_fps": video.sample_fps,
        "emotions": list(EMOTIONS),
        # A face whose confidence is under this is drawn as "uncertain" (its model's calibration).
        "uncertain_below": uncertain_below(video.model_name),
        "samples": [{"t": t, "faces": faces} for t, faces in sorted(by_time.items())],
    }


def overlays_by_time(video: Video) -> list[tuple[float, list]]:
    """(time, overlays) for `ml.serving.video_annotate.write_annotated`, labels as on the page."""
    from ml.faces import Box
    from ml.serving.video_annotate import Overlay

    samples = frames_payload(video, video.tracks.all())["samples"]
    return [
        (sample["t"], [Overlay(Box(x, y, w, h), f"{number}. {EMOTIONS[e].capitalize()} {confidence:.0%}",
                               rgb(EMOTIONS[e]))
                       for number, x, y, w, h, e, confidence in sample["faces"]])
        for sample in samples
    ]


def timeline_points(track: VideoTrack, max_points: int = 240) -> list[dict]:
    """The track's probabilities averaged into at most `max_points` time bins, for the timeline chart
    (`analysis.web.timeline_chart`'s `{t, shares}` points)."""
    times, rows = track.timeline["t"], track.timeline["p"]
    if not times:
        return []
    step = max(1, -(-len(times) // max_points))
    points = []
    for start in range(0, len(times), step):
        chunk = rows[start : start + step]
        mean = [sum(column) / len(chunk) for column in zip(*chunk, strict=True)]
        points.append({"t": round(sum(times[start : start + step]) / len(chunk), 1), "shares": _probabilities(mean)})
    return points
