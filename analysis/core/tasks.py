"""Celery tasks: thin wrappers that fetch by id and call a service.

Queues come from `CELERY_TASK_ROUTES` (analyse_photo -> gpu, live_frame -> realtime, sweep ->
celery) and time limits from the settings (see docs/scaled.md).
"""

from __future__ import annotations

import base64

from asgiref.sync import async_to_sync
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from channels.layers import get_channel_layer

from analysis.core import services
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


@shared_task(name="analysis.live_frame", acks_late=False, ignore_result=True)
def live_frame(channel_name: str, frame_b64: str, model: str) -> None:
    """Analyse one live frame on a realtime worker and answer the socket through the channel layer.

    Not acknowledged late: a live frame is worth nothing once stale, so a lost one is not redone.
    """
    from analysis.live.frames import predict_frame
    from ml.serving.images import ImageDecodeError

    try:
        answer = {"ok": True, "result": predict_frame(base64.b64decode(frame_b64), model).to_dict()}
    except ImageDecodeError as exc:
        answer = {"ok": False, "code": exc.code, "message": sentence(exc.message)}
    except SoftTimeLimitExceeded:
        answer = {"ok": False, "code": "busy", "message": "The frame took too long to analyse; it was skipped."}
    async_to_sync(get_channel_layer().send)(channel_name, {"type": "live.result", **answer})


@shared_task(name="analysis.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    return services.analysis_sweep()
