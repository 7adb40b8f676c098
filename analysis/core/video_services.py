"""Writes for videos: create, process (the task's body, with progress, cancel and a deadline), cancel,
delete, the annotated MP4, and the sweep's share (stale videos, files not to be kept).

Results are all-or-nothing: tracks are written in the same transaction that marks the video done,
so a cancelled, failed or interrupted analysis never shows partial results. Processing is safe to
run twice (a redelivered task starts over, or finds the video finished and does nothing).
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from analysis.core.choices import check_detector, check_model
from analysis.core.messages import VIDEO_UNREADABLE_REASON
from analysis.core.video_checks import CheckedVideo
from analysis.models import Video, VideoTrack
from fer_site.errors import ServiceError
from ml.emotions import EMOTIONS

logger = logging.getLogger(__name__)
DEFAULT_SAMPLE_FPS = 5.0
MIN_SAMPLE_FPS, MAX_SAMPLE_FPS = 1.0, 30.0
# Reasons are stored in English and translated when shown (see analysis.core.services).
MAX_ATTEMPTS_REASON = gettext_noop("The analysis stopped its worker several times; the video may be too large or "
                                   "unusual.")
STALE_REASON = gettext_noop("The analysis stopped without finishing (its worker went away); please upload the video "
                            "again.")
INTERNAL_REASON = gettext_noop("An internal error stopped the analysis.")
QUEUE_REASON = gettext_noop("The analysis never started (the queue was too long or no worker was running); please "
                            "upload it again.")


def time_limit_reason() -> str:
    return (f"The analysis took longer than its time limit of {settings.FER_VIDEO_TIME_LIMIT_S // 60} minutes; "
            "try a lower frame rate, the fast model or a shorter video.")


class VideoNotReady(ServiceError):
    code = "not_ready"
    status = 409


def check_sample_fps(value: float | str | None) -> float:
    if value in (None, ""):
        return DEFAULT_SAMPLE_FPS
    try:
        fps = float(value)
    except (TypeError, ValueError):
        fps = float("nan")
    if not MIN_SAMPLE_FPS <= fps <= MAX_SAMPLE_FPS:  # also false for nan
        raise ServiceError(_("Frames per second must be a number from %(min)s to %(max)s.")
                           % {"min": f"{MIN_SAMPLE_FPS:g}", "max": f"{MAX_SAMPLE_FPS:g}"},
                           code="invalid_fps")
    return fps


def video_create(*, owner: User, video: CheckedVideo, model: str | None = None, detector: str | None = None,
                 sample_fps: float | str | None = None) -> Video:
    """Store a checked video as pending (the caller starts it: `analysis.core.dispatch.submit_video`)."""
    model_name, detector_name, fps = check_model(model), check_detector(detector), check_sample_fps(sample_fps)
    info = video.info
    with transaction.atomic():
        row = Video(
            owner=owner, original_name=video.name, size_bytes=video.upload.size or 0, container=info.container,
            codec=info.codec, width=info.width, height=info.height, duration_s=info.duration_s,
            source_fps=info.fps, sample_fps=fps, model_name=model_name, detector=detector_name,
            frames_expected=info.expected_samples(fps),
        )
        row.file.save(f"upload.{video.extension}", File(video.upload.file), save=False)
        try:
            row.save()
        except BaseException:
            row.file.storage.delete(row.file.name)
            raise
    return row


def _delete_files_on_commit(videos: Iterable[Video]) -> None:
    for video in videos:
        for field in (video.file, video.annotated):
            if field:
                transaction.on_commit(lambda name=field.name, storage=field.storage: storage.delete(name))


def video_discard(*, video: Video) -> None:
    """Undo `video_create` (the work could not be started): the row and its file go."""
    Video.objects.filter(pk=video.pk).delete()
    if video.file:
        video.file.storage.delete(video.file.name)


def video_delete(*, owner: User, ids: Iterable[uuid.UUID | str]) -> int:
    """Delete the owner's videos among `ids` (others' are ignored) with tracks and files; a running
    analysis notices at its next progress report and stops."""
    with transaction.atomic():
        videos = list(Video.objects.filter(owner=owner, id__in=list(ids)))
        _delete_files_on_commit(videos)
        Video.objects.filter(pk__in=[v.pk for v in videos]).delete()
    return len(videos)


def videos_delete_all(*, owner: User) -> int:
    with transaction.atomic():
        videos = list(Video.objects.filter(owner=owner))
        _delete_files_on_commit(videos)
        Video.objects.filter(owner=owner).delete()
    return len(videos)


def _finish(video: Video, status: str, *, reason: str = "") -> Video:
    video.status, video.error, video.finished_at = status, reason, timezone.now()
    fields = ["status", "error", "finished_at"]
    if not video.owner.keep_photos and video.file:
        _delete_files_on_commit([video])
        video.file, video.file_discarded = "", True
        fields += ["file", "file_discarded"]
    video.save(update_fields=fields)
    return video


def video_fail(*, video: Video, reason: str) -> Video:
    return _finish(video, Video.Status.FAILED, reason=reason)


def video_cancel(*, owner: User, video_id: uuid.UUID | str) -> Video | None:
    """Stop the owner's video: a pending one ends now, a running one at its next progress report
    (within about a second). Finished videos are left as they are. None when there is no such video."""
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(owner=owner, id=video_id).first()
        if video is None or video.is_finished:
            return video
        if video.status == Video.Status.PENDING:
            return _finish(video, Video.Status.CANCELLED, reason=gettext_noop("Cancelled before it started."))
        video.cancel_requested = True
        video.save(update_fields=["cancel_requested"])
        return video


def _held_elsewhere(video: Video) -> bool:
    """Running with a recent progress report: another worker has it (the broker redelivers a long task's
    message while its first worker is still busy with it)."""
    recent = timezone.now() - timezone.timedelta(seconds=settings.FER_VIDEO_HEARTBEAT_TIMEOUT_S)
    return video.status == Video.Status.RUNNING and video.heartbeat_at is not None and video.heartbeat_at > recent


def _claim(video_id: uuid.UUID | str) -> Video | None:
    with transaction.atomic():
        video = Video.objects.select_for_update().select_related("owner").filter(id=video_id).first()
        if video is None or video.is_finished or _held_elsewhere(video):
            return None
        if video.cancel_requested:
            _finish(video, Video.Status.CANCELLED, reason=gettext_noop("Cancelled."))
            return None
        if video.attempts >= settings.FER_ANALYSIS_MAX_ATTEMPTS:
            video_fail(video=video, reason=MAX_ATTEMPTS_REASON)
            return None
        now = timezone.now()
        video.status, video.started_at, video.heartbeat_at = Video.Status.RUNNING, now, now
        video.attempts += 1
        video.progress, video.frames_analysed = 0.0, 0  # a redelivered task starts over
        video.save(update_fields=["status", "started_at", "heartbeat_at", "attempts", "progress", "frames_analysed"])
        return video


@contextmanager
def local_file(field: FieldFile) -> Iterator[str | File]:
    """A path FFmpeg can open directly when the storage has one, else the open file."""
    try:
        path = field.path
    except NotImplementedError:
        path = None
    if path:
        yield path
        return
    with field.open("rb") as handle:
        yield handle


class _Watch:
    """Progress reports into the row, and the reasons to stop: cancelled, deleted or out of time."""

    def __init__(self, video: Video):
        self.video_id = video.pk
        self.deadline = time.monotonic() + settings.FER_VIDEO_TIME_LIMIT_S
        self.stopped_by: str | None = None

    def progress(self, done: int, expected: int) -> None:
        Video.objects.filter(pk=self.video_id, status=Video.Status.RUNNING).update(
            progress=min(0.99, done / max(1, expected)), frames_analysed=done, heartbeat_at=timezone.now())

    def should_stop(self) -> bool:
        row = Video.objects.filter(pk=self.video_id).values_list("status", "cancel_requested").first()
        if row is None:
            self.stopped_by = "deleted"
        elif row[1] or row[0] != Video.Status.RUNNING:
            self.stopped_by = "cancelled"
        elif time.monotonic() > self.deadline:
            self.stopped_by = "time"
        return self.stopped_by is not None


def video_process(*, video_id: uuid.UUID | str) -> Video | None:
    """Analyse every sampled frame and store the tracks, or end failed/cancelled with a reason."""
    video = _claim(video_id)
    if video is None:
        return None
    if settings.FER_TEST_TASK_DELAY_S:
        time.sleep(settings.FER_TEST_TASK_DELAY_S)  # fault tests only: a worker to kill while it holds the video
    from ml.model_card import ModelFileError
    from ml.serving.detection import UnknownDetectorError
    from ml.serving.registry import UnknownModelError
    from ml.serving.video import VideoCancelled, analyse_video
    from ml.serving.video_files import VideoDecodeError, probe_video

    watch = _Watch(video)
    try:
        with local_file(video.file) as source:
            info = probe_video(source, max_pixels=settings.FER_MAX_VIDEO_PIXELS,
                               max_duration_s=settings.FER_MAX_VIDEO_SECONDS)
            result = analyse_video(source, info=info, model=video.model_name, detector=video.detector,
                                   sample_fps=video.sample_fps, max_duration_s=settings.FER_MAX_VIDEO_SECONDS,
                                   progress=watch.progress, should_stop=watch.should_stop)
    except VideoCancelled:
        return _stopped(video, watch.stopped_by)
    except VideoDecodeError as exc:
        return _fail_unfinished(video.pk, VIDEO_UNREADABLE_REASON % {"detail": exc.message})
    except (UnknownModelError, UnknownDetectorError, ModelFileError) as exc:
        return _fail_unfinished(video.pk, str(exc))
    except SoftTimeLimitExceeded:
        return _fail_unfinished(video.pk, time_limit_reason())
    except (OSError, ValueError) as exc:
        logger.warning("video %s could not be read: %s", video.pk, exc)
        return _fail_unfinished(video.pk, gettext_noop("The stored video could not be read."))
    except Exception:  # a bug or resource problem: keep the reason readable, the details in the log
        logger.exception("video %s failed", video.pk)
        return _fail_unfinished(video.pk, INTERNAL_REASON)
    return _store(video.pk, result)


def _stopped(video: Video, stopped_by: str | None) -> Video | None:
    if stopped_by == "time":
        return _fail_unfinished(video.pk, time_limit_reason())
    with transaction.atomic():
        current = Video.objects.select_for_update().select_related("owner").filter(pk=video.pk).first()
        if current is None or current.is_finished:
            return current
        return _finish(current, Video.Status.CANCELLED, reason=gettext_noop("Cancelled while it was being analysed."))


def _fail_unfinished(video_id, reason: str) -> Video | None:
    with transaction.atomic():
        current = Video.objects.select_for_update().select_related("owner").filter(pk=video_id).first()
        if current is None or current.is_finished:
            return current
        return video_fail(video=current, reason=reason)


def video_fail_unfinished(*, video_id: uuid.UUID | str, reason: str) -> Video | None:
    """Fail the video unless it already finished (a task's last word when it is stopped)."""
    return _fail_unfinished(video_id, reason)


def _track_rows(video_id, result) -> list[VideoTrack]:
    rows = []
    for number, track in enumerate(sorted(result.tracks, key=lambda tr: tr.times[0]), start=1):
        summary = track.summary()
        emotions = track.emotions()
        rows.append(VideoTrack(
            video_id=video_id, number=number, frames=track.frames, first_t=summary["first_t"],
            last_t=summary["last_t"], emotion=summary["emotion"],
            emotion_counts={e: emotions.count(e) for e in EMOTIONS if e in emotions},
            mean_probabilities=summary["mean_probabilities"],
            timeline={
                "t": track.times,
                "box": [[b.x, b.y, b.w, b.h] for b in track.boxes],
                "p": [[round(float(p), 4) for p in row] for row in track.probabilities],
            },
        ))
    return rows


def _top_emotion(rows: list[VideoTrack]) -> str:
    totals = {e: sum(row.emotion_counts.get(e, 0) for row in rows) for e in EMOTIONS}
    return max(totals, key=totals.get) if rows else ""


def _store(video_id, result) -> Video | None:
    rows = _track_rows(video_id, result)
    with transaction.atomic():
        current = Video.objects.select_for_update().select_related("owner").filter(pk=video_id).first()
        if current is None or current.is_finished:  # deleted or cancelled meanwhile, or finished by another delivery
            return current
        VideoTrack.objects.filter(video=current).delete()
        VideoTrack.objects.bulk_create(rows)
        current.progress, current.frames_analysed = 1.0, result.frames_analysed
        current.frames_expected = max(current.frames_expected, result.frames_analysed)
        current.track_count, current.top_emotion = len(rows), _top_emotion(rows)
        current.timings_ms = {**result.timings_ms, "searches": result.searches}
        current.heartbeat_at = timezone.now()
        current.save(update_fields=["progress", "frames_analysed", "frames_expected", "track_count", "top_emotion",
                                    "timings_ms", "heartbeat_at"])
        return _finish(current, Video.Status.DONE)


# --- The annotated MP4 -----------------------------------------------------------------------------


def video_annotate_request(*, video: Video) -> bool:
    """Mark the annotated MP4 as wanted; True when a task must be started (not already made or on its way)."""
    if video.status != Video.Status.DONE:
        raise VideoNotReady(_("The video is %(status)s; the annotated video can be made once it is done.")
                            % {"status": video.get_status_display().lower()})
    if not video.file:
        raise VideoNotReady(_("The original video was not kept, so there is nothing to draw on."),
                            code="video_not_kept", status=404)
    claimed = Video.objects.filter(pk=video.pk, annotated_status__in=["", Video.Annotation.FAILED]).update(
        annotated_status=Video.Annotation.PENDING, annotated_error="")
    video.refresh_from_db(fields=["annotated_status", "annotated_error"])
    return bool(claimed)


def video_annotate_discard(*, video: Video) -> None:
    """The annotation task could not be queued: back to not requested."""
    Video.objects.filter(pk=video.pk, annotated_status=Video.Annotation.PENDING).update(annotated_status="")


def video_annotate_process(*, video_id: uuid.UUID | str) -> Video | None:
    """Draw every track's boxes on the video and store the MP4 (safe to run twice)."""
    claimed = Video.objects.filter(pk=video_id, annotated_status=Video.Annotation.PENDING).update(
        annotated_status=Video.Annotation.RUNNING)
    video = Video.objects.filter(pk=video_id).first()
    if not claimed or video is None:
        return video
    from analysis.core.video_results import overlays_by_time
    from ml.serving.video_annotate import write_annotated

    try:
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "annotated.mp4"
            with local_file(video.file) as source:
                write_annotated(source, target, overlays_by_time(video), hold_s=1.5 / video.sample_fps)
            with target.open("rb") as handle, transaction.atomic():
                current = Video.objects.select_for_update().filter(pk=video_id).first()
                if current is None:
                    return None
                current.annotated.save("annotated.mp4", File(handle), save=False)
                current.annotated_status = Video.Annotation.DONE
                current.save(update_fields=["annotated", "annotated_status"])
                return current
    except SoftTimeLimitExceeded:
        reason = time_limit_reason().replace("analysis", "annotated video")
    except Exception:
        logger.exception("annotated video of %s failed", video_id)
        reason = gettext_noop("The annotated video could not be made.")
    Video.objects.filter(pk=video_id).update(annotated_status=Video.Annotation.FAILED, annotated_error=reason)
    return Video.objects.filter(pk=video_id).first()


# --- The sweep ------------------------------------------------------------------------------------


def videos_fail_stale(*, owner: User | None = None) -> int:
    """Fail videos running without a progress report for FER_VIDEO_STALE_SECONDS, and videos still pending
    after FER_VIDEO_QUEUE_TIMEOUT_S."""
    now = timezone.now()
    silent = Video.objects.filter(status=Video.Status.RUNNING).annotate(
        last_sign=Coalesce("heartbeat_at", "created_at")).filter(
        last_sign__lt=now - timezone.timedelta(seconds=settings.FER_VIDEO_STALE_SECONDS))
    waiting = Video.objects.filter(status=Video.Status.PENDING,
                                   created_at__lt=now - timezone.timedelta(seconds=settings.FER_VIDEO_QUEUE_TIMEOUT_S))
    failed = 0
    for videos, reason in ((silent, STALE_REASON), (waiting, QUEUE_REASON)):
        if owner is not None:
            videos = videos.filter(owner=owner)
        for video_id in videos.values_list("id", flat=True)[:1000]:
            current = _fail_unfinished(video_id, reason)
            failed += current is not None and current.error == reason
    return failed


def videos_discard_unkept() -> int:
    """Delete stored files of finished videos whose owner does not keep files (e.g. set after upload)."""
    discarded = 0
    candidates = Video.objects.filter(owner__keep_photos=False, status__in=Video.FINISHED).exclude(file="")
    for video_id in candidates.values_list("id", flat=True)[:1000]:
        with transaction.atomic():
            video = Video.objects.select_for_update().select_related("owner").filter(pk=video_id).first()
            if video is None or video.owner.keep_photos or not video.file:
                continue
            _delete_files_on_commit([video])
            video.file, video.annotated, video.file_discarded, video.annotated_status = "", "", True, ""
            video.save(update_fields=["file", "annotated", "file_discarded", "annotated_status"])
            discarded += 1
    return discarded
