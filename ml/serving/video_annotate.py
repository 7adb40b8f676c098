"""The video with each face's box and label drawn on every frame, written as an MP4 that browsers play.

Every frame of the source is decoded (as `iter_samples` does, rotation applied) and shows the boxes
of the latest analysed sample at or before it, for at most one sampling interval (a face that
left is not drawn on). Encoded with the H.264 encoder inside PyAV's wheel (libx264, yuv420p, the
`moov` index at the front so playback starts before the download ends) at the source's average
frame rate. The sound is not copied.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from ml.faces import Box
from ml.serving.video_files import Source, frame_rgb, frame_rotation, open_container, video_stream

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Overlay:
    box: Box
    label: str
    colour: RGB


def _draw(rgb: np.ndarray, overlays: Sequence[Overlay]) -> np.ndarray:
    height, width = rgb.shape[:2]
    line = max(2, round(max(width, height) / 320))
    scale = max(0.4, max(width, height) / 1200)
    for overlay in overlays:
        b = overlay.box
        cv2.rectangle(rgb, (b.x, b.y), (b.x + b.w, b.y + b.h), overlay.colour, line)
        (text_w, text_h), baseline = cv2.getTextSize(overlay.label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        top = b.y - text_h - baseline - 2 * line if b.y - text_h - baseline - 2 * line >= 0 else b.y + b.h
        cv2.rectangle(rgb, (b.x, top), (b.x + text_w + 2 * line, top + text_h + baseline + 2 * line), overlay.colour,
                      cv2.FILLED)
        cv2.putText(rgb, overlay.label, (b.x + line, top + line + text_h), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return rgb


def write_annotated(source: Source, target: str | Path, samples: Sequence[tuple[float, list[Overlay]]],
                    *, hold_s: float, progress: Callable[[float], None] | None = None,
                    duration_s: float | None = None) -> int:
    """Write the annotated MP4 to the file `target` (a path: moving the index to the front rewrites the
    file); returns the number of frames written.

    `samples` are (time, overlays) in time order; a sample's overlays are drawn on frames from its
    time until the next sample or `hold_s` later, whichever comes first. `progress(fraction)` is
    called about once a second of video when `duration_s` is given.
    """
    import av

    times = [t for t, _ in samples]
    written = 0
    with open_container(source) as container, av.open(str(target), mode="w", format="mp4",
                                             options={"movflags": "+faststart"}) as output:
        stream = video_stream(container)
        stream.thread_type = "AUTO"
        rate = Fraction(stream.average_rate or 30).limit_denominator(1001)
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        encoder = None
        next_report = 1.0
        for frame in container.decode(stream):
            t = float(frame.time) - start if frame.time is not None else written / float(rate)
            rgb = frame_rgb(frame, frame_rotation(frame))
            if encoder is None:
                encoder = output.add_stream("libx264", rate=rate, options={"preset": "veryfast", "crf": "23"})
                # yuv420p halves the chroma planes: both sides must be even.
                encoder.width, encoder.height = rgb.shape[1] // 2 * 2, rgb.shape[0] // 2 * 2
                encoder.pix_fmt = "yuv420p"
            i = bisect.bisect_right(times, t + 1e-3) - 1
            overlays = samples[i][1] if i >= 0 and t - times[i] < hold_s else []
            image = _draw(np.ascontiguousarray(rgb[: encoder.height, : encoder.width]), overlays)
            out = av.VideoFrame.from_ndarray(image, format="rgb24")
            out.pts = written
            for packet in encoder.encode(out):
                output.mux(packet)
            written += 1
            if progress is not None and duration_s and t >= next_report:
                progress(min(1.0, t / duration_s))
                next_report = t + 1.0
        if encoder is not None:
            for packet in encoder.encode():
                output.mux(packet)
    return written
