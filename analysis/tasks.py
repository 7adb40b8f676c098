"""Celery tasks: thin wrappers that fetch by id and call a service.

Queues come from `CELERY_TASK_ROUTES` (analyse_photo -> gpu, live_frame -> realtime, sweep ->
celery) and time limits from the settings (see docs/scaled.md).
"""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded


# ignore_result: the outcome lives in the database row; no result backend is touched on publish.
@shared_task(name="analysis.analyse_photo", acks_late=True, ignore_result=True)
def analyse_photo(analysis_id: str) -> str | None:
    from analysis.services import TIME_LIMIT_REASON, analysis_fail_unfinished, analysis_process

    try:
        analysis = analysis_process(analysis_id=analysis_id)
    except SoftTimeLimitExceeded:
        # Raised outside inference (reading the photo, saving faces): still end as failed, never stuck.
        analysis = analysis_fail_unfinished(analysis_id=analysis_id, reason=TIME_LIMIT_REASON)
    return analysis.status if analysis else None


@shared_task(name="analysis.live_frame", acks_late=False, ignore_result=True)
def live_frame(channel_name: str, frame_b64: str, model: str) -> None:
    """Analyse one live frame on a realtime worker and answer the socket through the channel layer.

    Not acknowledged late: a live frame is worth nothing once stale, so a lost one is not redone.
    """
    import base64

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from ml.serving.images import ImageDecodeError as FrameError

    try:
        answer = {"ok": True, "result": _predict_live(base64.b64decode(frame_b64), model).to_dict()}
    except FrameError as exc:
        answer = {"ok": False, "code": exc.code, "message": exc.message}
    except SoftTimeLimitExceeded:
        answer = {"ok": False, "code": "busy", "message": "The frame took too long to analyse; it was skipped."}
    async_to_sync(get_channel_layer().send)(channel_name, {"type": "live.result", **answer})


def _predict_live(frame: bytes, model: str):
    """One frame; with FER_LIVE_BATCH_SIZE > 1 its faces are classified together with other streams' faces."""
    from django.conf import settings

    from ml.serving.pipeline import analyse_frame

    if settings.FER_LIVE_BATCH_SIZE <= 1:
        return analyse_frame(frame, model=model, max_pixels=4_000_000)
    from ml.serving.batching import batcher_for

    batcher = batcher_for(model, max_faces=settings.FER_LIVE_BATCH_SIZE,
                          max_wait_s=settings.FER_LIVE_BATCH_WAIT_MS / 1000)
    with batcher.caller():
        return analyse_frame(frame, model=model, classifier=batcher, max_pixels=4_000_000)


@shared_task(name="analysis.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    from analysis.services import analysis_sweep

    return analysis_sweep()
