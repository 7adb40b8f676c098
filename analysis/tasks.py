"""Celery tasks: thin wrappers that fetch by id and call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="analysis.analyse_photo", acks_late=True)
def analyse_photo(analysis_id: str) -> str | None:
    from analysis.services import analysis_process

    analysis = analysis_process(analysis_id=analysis_id)
    return analysis.status if analysis else None


@shared_task(name="analysis.live_frame", acks_late=False, ignore_result=True)
def live_frame(channel_name: str, frame_b64: str, model: str) -> None:
    """Analyse one live frame on a realtime worker and answer the socket through the channel layer.

    Not acknowledged late: a live frame is worth nothing once stale, so a lost one is not redone.
    """
    import base64

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from ml.frames import FrameError, predict_frame

    try:
        answer = {"ok": True, "result": predict_frame(base64.b64decode(frame_b64), model=model).to_dict()}
    except FrameError as exc:
        answer = {"ok": False, "code": exc.code, "message": exc.message}
    async_to_sync(get_channel_layer().send)(channel_name, {"type": "live.result", **answer})
