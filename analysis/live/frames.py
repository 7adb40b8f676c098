"""One live frame analysed in this process (a thread of the embedded server, or a realtime worker).

With `FER_LIVE_BATCH_SIZE` > 1 the frame's faces are classified together with the faces of other
streams' frames arriving at the same moment (`ml.serving.batching`); frames themselves are
decoded and their faces detected in the caller's thread.
"""

from __future__ import annotations

from django.conf import settings

from ml.serving.pipeline import ImageResult, analyse_frame


def predict_frame(frame: bytes, model: str) -> ImageResult:
    """Raises ml's ImageDecodeError for a frame that is not a readable JPEG within the pixel limit."""
    max_pixels = settings.FER_LIVE_MAX_FRAME_PIXELS
    if settings.FER_LIVE_BATCH_SIZE <= 1:
        return analyse_frame(frame, model=model, max_pixels=max_pixels)
    from ml.serving.batching import batcher_for

    batcher = batcher_for(model, max_faces=settings.FER_LIVE_BATCH_SIZE,
                          max_wait_s=settings.FER_LIVE_BATCH_WAIT_MS / 1000)
    with batcher.caller():
        return analyse_frame(frame, model=model, classifier=batcher, max_pixels=max_pixels)
