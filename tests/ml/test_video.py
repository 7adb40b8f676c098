"""The video pipeline on clips made here: probing, sampling, one track for one walking face,
progress and cancelling, bad files, and the annotated MP4."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from ml.faces import Box
from ml.serving.video import VideoCancelled, analyse_video
from ml.serving.video_annotate import Overlay, write_annotated
from ml.serving.video_files import VideoDecodeError, iter_samples, probe_video
from tests.videos import audio_only, faststart_clip, truncated_clip, walking_clip, zero_frame_video


@pytest.mark.parametrize(("container", "codec"), [("mp4", "h264"), ("webm", "vp9")])
def test_probe_reads_what_the_file_is(container, codec):
    info = probe_video(io.BytesIO(walking_clip(container)))
    assert (info.container, info.codec, info.width, info.height) == (container, codec, 320, 240)
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert info.frame_count == 20 and info.fps == pytest.approx(10)
    assert info.expected_samples(5) == 10


def test_samples_are_taken_at_the_chosen_rate_and_never_twice():
    data = walking_clip("mp4")
    five = [s.t for s in iter_samples(io.BytesIO(data), sample_fps=5)]
    assert five == pytest.approx([i * 0.2 for i in range(10)], abs=0.01)
    thirty = list(iter_samples(io.BytesIO(data), sample_fps=30))  # faster than the file: every frame once
    assert len(thirty) == 20 and len({s.t for s in thirty}) == 20
    assert thirty[0].rgb.shape == (240, 320, 3) and thirty[0].rgb.dtype == np.uint8


@pytest.mark.parametrize("detector", ["blazeface", "haar"])
@pytest.mark.parametrize("container", ["mp4", "webm"])
def test_one_walking_face_is_one_track(container, detector):
    result = analyse_video(io.BytesIO(walking_clip(container, seconds=3)), model="fast", detector=detector,
                           sample_fps=5)
    assert result.frames_analysed == 15
    assert len(result.tracks) == 1, [(t.id, t.times) for t in result.tracks]
    track = result.tracks[0]
    assert track.frames >= 8  # found in most samples (Haar misses the smallest sizes at the edges)
    centres = [b.x + b.w / 2 for b in track.boxes]
    assert centres[-1] - centres[0] > 60 and all(np.diff(centres) > -5)  # it follows the face rightwards
    summary = track.summary()
    assert sum(summary["shares"].values()) == pytest.approx(1, abs=1e-3)
    assert sum(summary["mean_probabilities"].values()) == pytest.approx(1, abs=1e-3)
    assert summary["frames"] == track.frames and summary["first_t"] <= summary["last_t"]


def test_haar_searches_regions_between_whole_frames_and_blazeface_whole_frames_only():
    clip = walking_clip("mp4", seconds=3)
    regional = analyse_video(io.BytesIO(clip), model="fast", detector="haar", sample_fps=5)
    assert regional.searches["full"] < 15 and regional.searches["region"] > 0
    whole = analyse_video(io.BytesIO(clip), model="fast", detector="haar", sample_fps=5, full_detection_s=0)
    assert whole.searches == {"full": 15, "region": 0} and len(whole.tracks) == 1
    blazeface = analyse_video(io.BytesIO(clip), model="fast", detector="blazeface", sample_fps=5)
    assert blazeface.searches == {"full": 15, "region": 0}


def test_weak_short_lived_tracks_are_dropped(monkeypatch):
    # Without the confirmation rule, BlazeFace's weak hits on the suit make a second track on this clip.
    clip = walking_clip("mp4", seconds=3)
    monkeypatch.setattr("ml.serving.video.CONFIRM_SCORE", 0.0)
    loose = analyse_video(io.BytesIO(clip), model="fast", detector="blazeface", sample_fps=5)
    monkeypatch.undo()
    strict = analyse_video(io.BytesIO(clip), model="fast", detector="blazeface", sample_fps=5)
    assert len(loose.tracks) > len(strict.tracks) == 1
    assert max(b.score for t in loose.tracks[1:] for b in t.boxes) < 0.8


def test_progress_is_reported_and_cancel_stops(monkeypatch):
    monkeypatch.setattr("ml.serving.video.REPORT_EVERY_S", 0.0)
    reports: list[tuple[int, int]] = []
    analyse_video(io.BytesIO(walking_clip("mp4")), model="fast", sample_fps=5,
                  progress=lambda done, expected: reports.append((done, expected)))
    assert [done for done, _ in reports] == list(range(1, 11)) and {e for _, e in reports} == {10}

    checks = []

    def stop_after_three() -> bool:
        checks.append(1)
        return len(checks) >= 3

    with pytest.raises(VideoCancelled):
        analyse_video(io.BytesIO(walking_clip("mp4")), model="fast", sample_fps=5, should_stop=stop_after_three)
    assert len(checks) == 3


@pytest.mark.parametrize(("data", "code"), [
    (lambda: b"this is a text file, not a video\n" * 20, "invalid_video"),
    (lambda: walking_clip("mp4")[:3000], "invalid_video"),  # index at the end: the start alone cannot be read
    (audio_only, "no_video_track"),
    (zero_frame_video, "no_frames"),
])
def test_bad_files_are_refused_by_the_probe(data, code):
    with pytest.raises(VideoDecodeError) as error:
        probe_video(io.BytesIO(data()))
    assert error.value.code == code
    assert "audio-only" in error.value.message if code == "no_video_track" else error.value.message


def test_limits_on_duration_and_pixels():
    data = io.BytesIO(walking_clip("mp4"))
    with pytest.raises(VideoDecodeError, match="over the limit") as long:
        probe_video(data, max_duration_s=1.5)
    with pytest.raises(VideoDecodeError) as large:
        probe_video(data, max_pixels=320 * 239)
    assert (long.value.code, large.value.code) == ("video_too_long", "video_too_large")
    with pytest.raises(VideoDecodeError) as running_long:  # a header that lies about the length is caught too
        list(iter_samples(data, sample_fps=5, max_duration_s=0.5))
    assert running_long.value.code == "video_too_long"


def test_a_truncated_file_fails_the_analysis_with_a_reason():
    assert probe_video(io.BytesIO(faststart_clip())).duration_s == pytest.approx(4.0, abs=0.05)
    info = probe_video(io.BytesIO(truncated_clip()))  # the header survived, so the upload check passes
    with pytest.raises(VideoDecodeError) as error:
        analyse_video(io.BytesIO(truncated_clip()), info=info, model="fast", sample_fps=5)
    assert error.value.code == "truncated_video" and "truncated" in error.value.message


def test_annotated_video_draws_each_sample_until_the_next(tmp_path):
    data = walking_clip("webm")
    box = Box(100, 60, 80, 80)
    target = tmp_path / "annotated.mp4"
    written = write_annotated(io.BytesIO(data), target, [(0.5, [Overlay(box, "1 happy", (255, 0, 0))])], hold_s=0.3)
    assert written == 20
    info = probe_video(str(target))
    assert (info.container, info.codec, info.width, info.height, info.frame_count) == ("mp4", "h264", 320, 240, 20)
    with av.open(str(target)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    left_edge = (slice(box.y + 20, box.y + 60), box.x)

    def red(frame) -> bool:
        pixels = frame[left_edge].astype(int)
        return bool(np.all(pixels[:, 0] > 180) and np.all(pixels[:, 1] < 90))

    # Frames at 0.5 and 0.7 s show the box; those before it, and after the 0.3 s hold, do not.
    assert [red(frames[i]) for i in (4, 5, 7, 8)] == [False, True, True, False]
