"""Statistics of one owner's analyses: ORM aggregates only, every query scoped to the owner.

Dates are local dates (the current time zone) of `Analysis.created_at`; a face counts on the
day its photo was uploaded. Faces exist only for finished (done) analyses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncWeek
from django.utils import timezone

from accounts.models import User
from analysis.core import selectors
from analysis.core.date_ranges import DateRange, resolve_group
from analysis.models import Analysis, Face
from ml.emotions import EMOTIONS

# More periods than this are not padded with empty ones (only periods with data are drawn).
MAX_FILLED_PERIODS = 400


def analyses_in_range(*, owner: User, date_range: DateRange) -> QuerySet[Analysis]:
    qs = selectors.analysis_list(owner=owner)
    if date_range.start:
        qs = qs.filter(created_at__date__gte=date_range.start)
    if date_range.end:
        qs = qs.filter(created_at__date__lte=date_range.end)
    return qs


def faces_in_range(*, owner: User, date_range: DateRange) -> QuerySet[Face]:
    """The owner's faces of done analyses created within the range."""
    qs = selectors.face_list(owner=owner).filter(analysis__status=Analysis.Status.DONE)
    if date_range.start:
        qs = qs.filter(analysis__created_at__date__gte=date_range.start)
    if date_range.end:
        qs = qs.filter(analysis__created_at__date__lte=date_range.end)
    return qs


def headline(*, owner: User, date_range: DateRange) -> dict[str, int]:
    done, failed = Analysis.Status.DONE, Analysis.Status.FAILED
    counts = analyses_in_range(owner=owner, date_range=date_range).aggregate(
        analyses=Count("id"),
        done=Count("id", filter=Q(status=done)),
        no_face=Count("id", filter=Q(status=done, face_count=0)),
        failed=Count("id", filter=Q(status=failed)),
        in_progress=Count("id", filter=~Q(status__in=[done, failed])),
    )
    counts["faces"] = faces_in_range(owner=owner, date_range=date_range).count()
    return counts


def _faces_grouped_by(field: str, *, owner: User, date_range: DateRange) -> dict[str, dict]:
    """Faces in range grouped by `field`: {value: {"faces": n, "mean_confidence": mean}}."""
    return {
        row[field]: row
        for row in faces_in_range(owner=owner, date_range=date_range)
        .order_by()
        .values(field)
        .annotate(faces=Count("id"), mean_confidence=Avg("confidence"))
    }


def emotion_summary(*, owner: User, date_range: DateRange) -> list[dict]:
    """Per emotion, in EMOTIONS order (zeros included): faces and their mean confidence."""
    rows = _faces_grouped_by("emotion", owner=owner, date_range=date_range)
    return [
        {
            "emotion": emotion,
            "faces": rows.get(emotion, {}).get("faces", 0),
            "mean_confidence": rows.get(emotion, {}).get("mean_confidence"),
        }
        for emotion in EMOTIONS
    ]


def model_comparison(*, owner: User, date_range: DateRange) -> list[dict]:
    """Per model used: done analyses, faces found, mean confidence of the top emotion."""
    analyses = dict(
        analyses_in_range(owner=owner, date_range=date_range)
        .filter(status=Analysis.Status.DONE)
        .order_by()
        .values("model_name")
        .annotate(n=Count("id"))
        .values_list("model_name", "n")
    )
    faces = _faces_grouped_by("analysis__model_name", owner=owner, date_range=date_range)
    return [
        {
            "model": name,
            "analyses": analyses.get(name, 0),
            "faces": faces.get(name, {}).get("faces", 0),
            "mean_confidence": faces.get(name, {}).get("mean_confidence"),
        }
        for name in sorted(set(analyses) | set(faces))
    ]


def data_span(*, owner: User, date_range: DateRange) -> tuple[dt.date | None, dt.date | None]:
    """Local dates of the first and last faces within the range (None, None without faces)."""
    span = faces_in_range(owner=owner, date_range=date_range).aggregate(
        first=Min("analysis__created_at"), last=Max("analysis__created_at")
    )
    if span["first"] is None:
        return None, None
    return timezone.localdate(span["first"]), timezone.localdate(span["last"])


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _period_start(day: dt.date, group: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if group == "week" else day


@dataclass
class TimeSeries:
    group: str  # "day" or "week"
    periods: list[dt.date] = field(default_factory=list)
    series: dict[str, list[int]] = field(default_factory=dict)  # emotion -> count per period

    @property
    def totals(self) -> list[int]:
        return [sum(column) for column in zip(*self.series.values(), strict=True)] if self.series else []

    def rows(self) -> list[dict]:
        """One row per period, for the data table."""
        return [
            {"period": period, "counts": [self.series[e][i] for e in EMOTIONS], "total": self.totals[i]}
            for i, period in enumerate(self.periods)
        ]


def emotions_over_time(*, owner: User, date_range: DateRange, group: str) -> TimeSeries:
    """Faces per emotion per day or week (weeks start on Monday), empty periods included."""
    trunc = TruncWeek if group == "week" else TruncDay
    rows = (
        faces_in_range(owner=owner, date_range=date_range)
        .order_by()
        .annotate(period=trunc("analysis__created_at"))
        .values("period", "emotion")
        .annotate(n=Count("id"))
    )
    counts: dict[tuple[dt.date, str], int] = {}
    for row in rows:
        key = (_as_date(row["period"]), row["emotion"])
        counts[key] = counts.get(key, 0) + row["n"]
    if not counts:
        return TimeSeries(group=group)
    seen = sorted({period for period, _ in counts})
    first = _period_start(date_range.start, group) if date_range.start else seen[0]
    last = _period_start(date_range.end, group) if date_range.end else seen[-1]
    step = dt.timedelta(days=7 if group == "week" else 1)
    if (last - first) // step + 1 <= MAX_FILLED_PERIODS:
        periods = [first + i * step for i in range((last - first) // step + 1)]
    else:
        periods = seen
    return TimeSeries(
        group=group,
        periods=periods,
        series={emotion: [counts.get((p, emotion), 0) for p in periods] for emotion in EMOTIONS},
    )


def live_summary(*, owner: User, date_range: DateRange) -> dict:
    """Live sessions in the range: count, seconds streamed, frames, and face detections per emotion."""
    sessions = selectors.live_session_list(owner=owner)
    if date_range.start:
        sessions = sessions.filter(started_at__date__gte=date_range.start)
    if date_range.end:
        sessions = sessions.filter(started_at__date__lte=date_range.end)
    per_emotion = dict.fromkeys(EMOTIONS, 0)
    seconds = frames = 0.0
    count = 0
    # Emotion counts are JSON per session: summed here (sessions are few compared to faces).
    for session in sessions.only("duration_s", "frames_analysed", "emotion_counts"):
        count += 1
        seconds += session.duration_s
        frames += session.frames_analysed
        for emotion, n in session.emotion_counts.items():
            if emotion in per_emotion:
                per_emotion[emotion] += n
    return {"sessions": count, "seconds": round(seconds, 1), "frames": int(frames),
            "detections": sum(per_emotion.values()), "per_emotion": per_emotion}


def video_summary(*, owner: User, date_range: DateRange) -> dict:
    """Videos uploaded in the range: count, minutes of done videos, faces followed, and sampled frames per
    top emotion summed over their tracks (stored per track, like live sessions' counts)."""
    from analysis.models import Video, VideoTrack

    videos = Video.objects.filter(owner=owner)
    if date_range.start:
        videos = videos.filter(created_at__date__gte=date_range.start)
    if date_range.end:
        videos = videos.filter(created_at__date__lte=date_range.end)
    done = videos.filter(status=Video.Status.DONE)
    per_emotion = dict.fromkeys(EMOTIONS, 0)
    for counts in VideoTrack.objects.filter(video__in=done).values_list("emotion_counts", flat=True):
        for emotion, n in counts.items():
            if emotion in per_emotion:
                per_emotion[emotion] += n
    seconds = done.aggregate(seconds=Sum("duration_s"))["seconds"] or 0.0
    return {"videos": videos.count(), "done": done.count(), "minutes": round(seconds / 60, 1),
            "faces": VideoTrack.objects.filter(video__in=done).count(),
            "frames": sum(per_emotion.values()), "per_emotion": per_emotion}


@dataclass
class StatisticsReport:
    """Everything the statistics page and the API's `stats/` show for one range."""

    date_range: DateRange
    headline: dict[str, int]
    per_emotion: list[dict]
    per_model: list[dict]
    over_time: TimeSeries
    live: dict
    videos: dict


def report(*, owner: User, date_range: DateRange, group: str | None = None) -> StatisticsReport:
    """The owner's statistics for `date_range`; `group` ("day"/"week") or else chosen by the span."""
    first, last = data_span(owner=owner, date_range=date_range)
    return StatisticsReport(
        date_range=date_range,
        headline=headline(owner=owner, date_range=date_range),
        per_emotion=emotion_summary(owner=owner, date_range=date_range),
        per_model=model_comparison(owner=owner, date_range=date_range),
        over_time=emotions_over_time(owner=owner, date_range=date_range,
                                     group=resolve_group(group, date_range, first, last)),
        live=live_summary(owner=owner, date_range=date_range),
        videos=video_summary(owner=owner, date_range=date_range),
    )
