"""Tiny video files for the tests, made in memory with PyAV: a good clip (the astronaut walking
across the frame, `ml.clips`) and the bad inputs an upload must refuse or fail cleanly."""

from __future__ import annotations

import io
import tempfile
from functools import lru_cache
from pathlib import Path

import av
import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile

from ml.clips import write_walking_clip

CONTENT_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}


@lru_cache(maxsize=8)
def walking_clip(container: str = "mp4", seconds: float = 2.0, fps: int = 10) -> bytes:
    """320x240 H.264 (MP4) or VP9 (WebM): one face moving and growing across the frame."""
    buffer = io.BytesIO()
    write_walking_clip(buffer, seconds=seconds, fps=fps, container=container)
    return buffer.getvalue()


def video_upload(name: str = "walk.mp4", data: bytes | None = None) -> SimpleUploadedFile:
    container = "webm" if name.endswith(".webm") else "mp4"
    return SimpleUploadedFile(name, walking_clip(container) if data is None else data,
                              content_type=CONTENT_TYPES[container])


@lru_cache(maxsize=1)
def faststart_clip() -> bytes:
    """An MP4 whose index comes first (as phones and web encoders write them): 4 s of changing grey."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fast.mp4"
        with av.open(str(path), "w", options={"movflags": "+faststart"}) as output:
            stream = output.add_stream("libx264", rate=10, options={"preset": "ultrafast"})
            stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
            for i in range(40):
                image = np.full((240, 320, 3), i * 5, dtype=np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                    output.mux(packet)
            for packet in stream.encode():
                output.mux(packet)
        return path.read_bytes()


def truncated_clip() -> bytes:
    """The first half of an index-first MP4: it opens, and its frames stop well before its stated end."""
    data = faststart_clip()
    return data[: len(data) // 2]


def _silence(stream, frames: int, sample_format: str, samples: int = 960) -> list:
    packets = []
    dtype = np.int16 if sample_format == "s16" else np.float32
    for i in range(frames):
        frame = av.AudioFrame.from_ndarray(np.zeros((1, samples), dtype), format=sample_format, layout="mono")
        frame.sample_rate, frame.pts = stream.rate, i * samples
        packets += stream.encode(frame)
    return packets + stream.encode()


@lru_cache(maxsize=1)
def audio_only() -> bytes:
    """An M4A file: AAC sound in an MP4 container, no video track."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as output:
        stream = output.add_stream("aac", rate=48000)
        for packet in _silence(stream, 20, "fltp"):
            output.mux(packet)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def zero_frame_video() -> bytes:
    """A WebM with a VP9 video track that holds no frame (and a little sound, so the file is valid)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as output:
        video = output.add_stream("libvpx-vp9", rate=10)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        video.codec_context.open()
        audio = output.add_stream("libopus", rate=48000)
        for packet in _silence(audio, 20, "s16"):
            output.mux(packet)
    return buffer.getvalue()


def make_video(owner, *, emotions: tuple[str, ...] = ("happy", "happy", "sad"), status: str = "done",
               with_file: bool = True, name: str = "walk.mp4"):
    """A finished video straight through the ORM (no model run): the walking clip as its file and one
    track whose samples, 0.2 s apart, have the given top emotions."""
    from django.core.files.base import ContentFile

    from analysis.models import Video, VideoTrack
    from ml.emotions import EMOTIONS

    video = Video(owner=owner, original_name=name, size_bytes=len(walking_clip()), container="mp4", codec="h264",
                  width=320, height=240, duration_s=2.0, source_fps=10.0, sample_fps=5.0, model_name="fast",
                  detector="haar", status=status, progress=1.0 if status == "done" else 0.0,
                  frames_expected=10, frames_analysed=10 if status == "done" else 0)
    if with_file:
        video.file.save("walk.mp4", ContentFile(walking_clip()), save=False)
    video.save()
    if status == "done":
        rows = [[0.7 if e == top else 0.05 for e in EMOTIONS] for top in emotions]
        VideoTrack.objects.create(
            video=video, number=1, frames=len(emotions), first_t=0.0, last_t=0.2 * (len(emotions) - 1),
            emotion=max(set(emotions), key=emotions.count),
            emotion_counts={e: emotions.count(e) for e in set(emotions)},
            mean_probabilities={e: round(sum(r[i] for r in rows) / len(rows), 4) for i, e in enumerate(EMOTIONS)},
            timeline={"t": [round(0.2 * i, 4) for i in range(len(emotions))],
                      "box": [[60 + 10 * i, 40, 100, 100] for i in range(len(emotions))], "p": rows},
        )
        video.track_count, video.top_emotion = 1, max(set(emotions), key=emotions.count)
        video.save(update_fields=["track_count", "top_emotion"])
    return video
