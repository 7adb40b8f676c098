"""Reading video files with PyAV (FFmpeg inside its wheel): what a file is, and its frames sampled
at a chosen rate as RGB arrays with their times.

`probe_video` checks a file before it is stored or analysed: a container we accept (MP4/MOV or
WebM/Matroska), a video track (an audio-only file is refused as such), a codec we accept, the
pixels per frame and the duration within their limits, and a first frame that really decodes. It
reads headers and one frame, so it is cheap enough for an upload request; a file whose header
gives no duration (WebM from a browser's MediaRecorder) is demuxed once, without decoding, to
measure it.

`iter_samples` decodes every frame (H.264 and VP9 frames depend on earlier ones) but converts only
the sampled ones to RGB. Frame k/fps is the first frame at or after that time, so a 30 fps file
sampled at 5 per second yields every 6th frame and a file slower than the rate yields every frame
(never a frame twice). A rotation in the file's display matrix (phone videos) is applied, so the
pixels, and so the boxes, are the way browsers show the video.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np

from ml.messages import MessageError, gettext_noop

# FFmpeg's names of the containers accepted: MP4/MOV (one demuxer) and WebM (Matroska's demuxer).
CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2": "mp4", "matroska,webm": "webm"}
CODECS = {"h264": "H.264", "hevc": "H.265", "vp8": "VP8", "vp9": "VP9", "av1": "AV1", "mpeg4": "MPEG-4"}
ACCEPTED = "MP4 or MOV (H.264, H.265, MPEG-4) or WebM (VP8, VP9, AV1)"
DEFAULT_MAX_PIXELS = 3840 * 2160
DEFAULT_MAX_DURATION_S = 600.0
# A file whose frames stop this much before its header's duration (and at least TRUNCATED_MIN_S) is truncated.
TRUNCATED_FRACTION, TRUNCATED_MIN_S = 0.1, 1.0

Source = str | IO[bytes]


class VideoDecodeError(MessageError):
    """A file that is not a video we can analyse. `code` is machine-readable; the message is a sentence
    fragment ("the file has no video track") that callers may prefix with the file name."""


@dataclass(frozen=True)
class VideoInfo:
    container: str  # "mp4" or "webm"
    codec: str  # FFmpeg's decoder name: h264, vp9, ...
    width: int  # as displayed (after rotation)
    height: int
    duration_s: float
    fps: float | None  # the file's average frame rate, when it says
    frame_count: int  # from the header, or estimated from duration and rate (0 when unknown)
    rotation: int  # degrees the frames are turned for display (0, 90, 180, 270)
    has_audio: bool

    def expected_samples(self, sample_fps: float) -> int:
        """About how many frames `iter_samples` will yield at `sample_fps` (for progress)."""
        wanted = math.ceil(self.duration_s * sample_fps - 1e-6)  # samples at 0, 1/fps, ... before the end
        return max(1, min(wanted, self.frame_count) if self.frame_count else wanted)


@dataclass(frozen=True)
class Sample:
    index: int  # position among the samples
    t: float  # seconds from the start of the video
    rgb: np.ndarray  # (H, W, 3) uint8, as displayed


def open_container(source: Source):
    import av

    if hasattr(source, "seek"):
        source.seek(0)
    try:
        return av.open(source, mode="r", metadata_errors="ignore")
    except av.error.FFmpegError:
        raise VideoDecodeError("invalid_video", gettext_noop("this is not a video file we can read (%(accepted)s), "
                                                             "or it is corrupt or truncated"),
                               accepted=ACCEPTED) from None


def video_stream(container):
    """The main video track; cover art in audio files (an attached picture) is not one."""
    import av

    streams = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    if not streams:
        if container.streams.audio:
            raise VideoDecodeError("no_video_track",
                                   gettext_noop("the file has sound but no video track (an audio-only file)"))
        raise VideoDecodeError("no_video_track", gettext_noop("the file has no video track"))
    return streams[0]


def _header_duration(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000  # AV_TIME_BASE
    return None


def _demuxed_duration(container, stream) -> float:
    """Seconds up to the end of the last packet, reading packets without decoding them."""
    end = 0.0
    start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    try:
        for packet in container.demux(stream):
            if packet.pts is not None and packet.time_base:
                end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base) - start)
    except Exception:  # noqa: BLE001 - FFmpeg errors at the end of a damaged file: the length read so far stands
        pass
    return end


def frame_rgb(frame, rotation: int) -> np.ndarray:
    rgb = frame.to_ndarray(format="rgb24")
    # The display matrix turns counter-clockwise by `rotation` degrees; np.rot90 turns counter-clockwise too.
    return np.ascontiguousarray(np.rot90(rgb, k=(rotation // 90) % 4)) if rotation else rgb


def frame_rotation(frame) -> int:
    return int(round(getattr(frame, "rotation", 0) or 0)) % 360


def probe_video(source: Source, *, max_pixels: int = DEFAULT_MAX_PIXELS,
                max_duration_s: float = DEFAULT_MAX_DURATION_S) -> VideoInfo:
    """What the file is, once it passed every check; raises `VideoDecodeError` otherwise."""
    import av

    with open_container(source) as container:
        stream = video_stream(container)
        container_name = CONTAINERS.get(container.format.name)
        if container_name is None:
            raise VideoDecodeError("unsupported_format",
                                   gettext_noop("%(format)s files are not accepted; use %(accepted)s"),
                                   format=container.format.long_name or container.format.name, accepted=ACCEPTED)
        codec = stream.codec_context.name
        if codec not in CODECS:
            raise VideoDecodeError("unsupported_codec",
                                   gettext_noop("videos encoded with %(codec)s are not accepted; use %(accepted)s"),
                                   codec=codec, accepted=ACCEPTED)
        width, height = stream.codec_context.width, stream.codec_context.height
        if width * height > max_pixels:
            raise VideoDecodeError("video_too_large", gettext_noop("%(width)sx%(height)s pixels per frame is over the "
                                                                   "limit of %(limit)s megapixels"),
                                   width=width, height=height, limit=f"{max_pixels / 1e6:g}")
        fps = float(stream.average_rate) if stream.average_rate else None
        duration = _header_duration(container, stream)
        if duration is not None and duration > max_duration_s:
            raise _too_long(duration, max_duration_s)
        try:
            first = next(container.decode(stream), None)
        except av.error.FFmpegError:
            first = None
        if first is None:
            raise VideoDecodeError("no_frames", gettext_noop("the video has no frame that can be decoded"))
        rotation = frame_rotation(first)
        if duration is None:
            container.seek(0)
            duration = _demuxed_duration(container, stream)
            if duration > max_duration_s:
                raise _too_long(duration, max_duration_s)
        frames = stream.frames or (round(duration * fps) if fps else 0)
        if rotation in (90, 270):
            width, height = height, width
        return VideoInfo(container_name, codec, width, height, round(duration, 3), fps, int(frames), rotation,
                         bool(container.streams.audio))


def _too_long(duration: float, limit: float) -> VideoDecodeError:
    return VideoDecodeError("video_too_long", gettext_noop("the video lasts %(duration)s, over the limit of %(limit)s"),
                            duration=_clock(duration), limit=_clock(limit))


def _clock(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{seconds:.1f} s"


def iter_samples(source: Source, *, sample_fps: float, info: VideoInfo | None = None,
                 max_duration_s: float = DEFAULT_MAX_DURATION_S) -> Iterator[Sample]:
    """The frames at 0, 1/sample_fps, 2/sample_fps, ... seconds, decoded to RGB.

    Raises `VideoDecodeError` when the frames run past `max_duration_s` (`video_too_long`), when
    decoding fails part-way or the frames stop well before the header's duration (`truncated_video`),
    or when no frame decodes at all (`no_frames`).
    """
    import av

    if sample_fps <= 0:
        raise ValueError("sample_fps must be positive")
    step = 1.0 / sample_fps
    with open_container(source) as container:
        stream = video_stream(container)
        stream.thread_type = "AUTO"  # frame and slice threads inside FFmpeg's decoder
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        rate = float(stream.average_rate) if stream.average_rate else 30.0
        tolerance = 0.5 / rate  # half a frame: timestamps are rounded to the container's time base
        next_t, count, last_t, decoded = 0.0, 0, 0.0, 0
        try:
            for frame in container.decode(stream):
                t = float(frame.time) - start if frame.time is not None else decoded / rate
                decoded += 1
                last_t = max(last_t, t)
                if t > max_duration_s + 1.0:
                    raise _too_long(t, max_duration_s)
                if t + tolerance < next_t:
                    continue
                yield Sample(count, round(t, 4), frame_rgb(frame, frame_rotation(frame)))
                count += 1
                while next_t <= t + tolerance:
                    next_t += step
        except av.error.FFmpegError:
            raise VideoDecodeError("truncated_video", gettext_noop("the video is corrupt or truncated after %(t)s s"),
                                   t=f"{last_t:.1f}") from None
    if count == 0:
        raise VideoDecodeError("no_frames", gettext_noop("the video has no frame that can be decoded"))
    expected = info.duration_s if info else None
    if expected and expected - last_t > max(TRUNCATED_MIN_S, TRUNCATED_FRACTION * expected):
        raise VideoDecodeError("truncated_video", gettext_noop("the frames stop at %(t)s s although the file says it "
                                                               "lasts %(expected)s s: it is truncated or damaged"),
                               t=f"{last_t:.1f}", expected=f"{expected:.1f}")
