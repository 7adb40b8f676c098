"""Synthetic video clips for tests and benchmarks: a still photo that walks across the frame.

The photo (scikit-image's astronaut unless one is given; scikit-image is a test and benchmark
dependency) crosses from the left edge to the right edge over the clip, growing to about 1.33
times its starting size half-way and shrinking back, with a small vertical bounce: one person
walking past the camera, so a tracker must keep one identity through moving and scaling boxes.
Written with PyAV, the decoder the platform reads videos with.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import IO

import cv2
import numpy as np

CODECS = {"mp4": "libx264", "webm": "libvpx-vp9"}


def _photo() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def walking_frame(photo: np.ndarray, u: float, width: int, height: int) -> np.ndarray:
    """The frame at fraction `u` (0-1) of the walk: grey background, the photo scaled and placed."""
    side = int(height * (0.75 + 0.25 * math.sin(math.pi * u)))
    face = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
    frame = np.full((height, width, 3), 96, dtype=np.uint8)
    x = int(round(u * (width - side)))
    y = min(height - side, max(0, int((height - side) / 2 + 0.04 * height * math.sin(6 * math.pi * u))))
    frame[y : y + side, x : x + side] = face
    return frame


def write_walking_clip(target: str | Path | IO[bytes], *, seconds: float = 2.0, fps: int = 10, width: int = 320,
                       height: int = 240, container: str = "mp4", photo: np.ndarray | None = None,
                       preset: str = "ultrafast") -> None:
    """Encode the walk as H.264 in MP4 or VP9 in WebM (yuv420p, so every browser plays it)."""
    import av

    photo = _photo() if photo is None else photo
    frames = max(1, int(round(seconds * fps)))
    options = {"preset": preset} if container == "mp4" else {"deadline": "realtime", "cpu-used": "8"}
    with av.open(target, mode="w", format=container) as output:
        stream = output.add_stream(CODECS[container], rate=fps, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            image = walking_frame(photo, i / max(1, frames - 1), width, height)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
