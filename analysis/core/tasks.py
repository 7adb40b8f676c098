"""Celery tasks: thin wrappers that fetch by id and call a service.

Queues come from `CELERY_TASK_ROUTES` (analyse_photo, compare_faces, face_heatmap, analyse_video, annotate_video
-> gpu, live_frame -> realtime, sweep -> celery) and time limits from the settings (see docs/scaled.md).
"""

from __future__ import annotations

import base64

from asgiref.sync import async_to_sync
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from analysis.core import compare, heatmaps, services, video_services
from analysis.core.messages import translated
from fer_site.errors import sentence


# ignore_result: the outcome lives in the database row; no result backend is touched on publish.
@shared_task(name="analysis.analyse_photo", acks_late=True, ignore_result=True)
def analyse_photo(analysis_id: str) -> str | None:
    try:
        analysis = services.analysis_process(analysis_id=analysis_id)
    except SoftTimeLimitExceeded:
        # Raised outside inference (reading the photo, saving faces): still end as failed, never stuck.
        analysis = services.analysis_fail_unfinished(analysis_id=analysis_id, reason=services.TIME_LIMIT_REASON)
    return analysis.status if analysis else None


@shared_task(name="analysis.compare_faces", acks_late=True, ignore_result=True)
def compare_faces(analysis_id: str) -> str | None:
    analysis = compare.compare_process(analysis_id=analysis_id)
    return analysis.compare_status if analysis else None


@shared_task(name="analysis.face_heatmap", acks_late=True, ignore_result=True)
def face_heatmap(analysis_id: str, index: int, model: str) -> None:
    """Compute and cache one heatmap; the waiting request reads it from the cache."""
    try:
        heatmaps.heatmap_compute(analysis_id=analysis_id, index=index, model=model)
    except heatmaps.HeatmapUnavailable:
        pass  # deleted meanwhile: nothing to draw, and nobody to tell


@shared_task(name="analysis.live_frame", acks_late=False, ignore_result=True)
def live_frame(channel_name: str, frame_b64: str, model: str, language: str | None = None) -> None:
    """Analyse one live frame on a realtime worker and answer the socket through the channel layer, a refusal
    in the socket's `language` (optional: a task sent before it existed answers in the default language).

    Not acknowledged late: a live frame is worth nothing once stale, so a lost one is not redone.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        _live_frame(channel_name, frame_b64, model)


def _live_frame(channel_name: str, frame_b64: str, model: str) -> None:
    from analysis.live.frames import predict_frame
    from ml.serving.images import ImageDecodeError

    try:
        answer = {"ok": True, "result": predict_frame(base64.b64decode(frame_b64), model).to_dict()}
    except ImageDecodeError as exc:
        answer = {"ok": False, "code": exc.code, "message": sentence(translated(exc))}
    except SoftTimeLimitExceeded:
        answer = {"ok": False, "code": "busy",
                  "message": gettext("The frame took too long to analyse; it was skipped.")}
    async_to_sync(get_channel_layer().send)(channel_name, {"type": "live.result", **answer})


@shared_task(name="analysis.analyse_video", acks_late=True, ignore_result=True)
def analyse_video(video_id: str) -> str | None:
    """A redelivered task (its worker died) starts the video over; a finished video is left alone."""
    try:
        video = video_services.video_process(video_id=video_id)
    except SoftTimeLimitExceeded:
        video = video_services.video_fail_unfinished(video_id=video_id, reason=video_services.time_limit_reason())
    return video.status if video else None


@shared_task(name="analysis.annotate_video", acks_late=True, ignore_result=True)
def annotate_video(video_id: str) -> str | None:
    video = video_services.video_annotate_process(video_id=video_id)
    return video.annotated_status if video else None


@shared_task(name="analysis.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    return services.analysis_sweep()
