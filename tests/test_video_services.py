"""Videos on the domain side: upload checks, processing with progress, cancel, deadline, failures
that leave nothing half-written, privacy, deletion and the sweep. Tasks run in the caller (eager)."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.utils import timezone

from analysis.core import dispatch, services, video_services
from analysis.core.photo_checks import InvalidUpload
from analysis.core.video_checks import check_video
from analysis.core.video_uploads import upload_videos
from analysis.models import Video, VideoTrack
from tests.videos import audio_only, truncated_clip, video_upload, walking_clip, zero_frame_video

pytestmark = pytest.mark.django_db


def upload_one(owner, name="walk.mp4", data=None, **options) -> Video:
    # Work starts after commit; the test's transaction never commits, so run those callbacks here.
    with TestCase.captureOnCommitCallbacks(execute=True):
        (outcome,) = upload_videos(owner=owner, files=[video_upload(name, data)], model="fast", **options)
    assert outcome.error is None, outcome.error
    return Video.objects.get(pk=outcome.video.pk)


def test_an_uploaded_video_is_analysed_into_one_track(user):
    video = upload_one(user, sample_fps="5")
    assert video.status == Video.Status.DONE, video.error
    assert (video.container, video.codec, video.width, video.height) == ("mp4", "h264", 320, 240)
    assert video.progress == 1.0 and video.frames_analysed == video.frames_expected == 10
    assert video.track_count == 1 == video.tracks.count()
    track = video.tracks.get()
    assert track.number == 1 and track.frames == len(track.timeline["t"]) == len(track.timeline["p"])
    assert sum(track.emotion_counts.values()) == track.frames
    assert video.top_emotion == track.emotion
    assert video.file  # alice keeps her files by default


@pytest.mark.parametrize(("name", "data", "code", "status"), [
    ("notes.mp4", b"meeting notes, not a video\n" * 50, "invalid_video", 400),
    ("empty.mp4", b"", "empty_file", 400),
    ("song.m4a", audio_only(), "no_video_track", 400),
    ("blank.webm", zero_frame_video(), "no_frames", 400),
    ("half.mp4", walking_clip("mp4")[:4000], "invalid_video", 400),
])
def test_bad_files_are_refused_before_anything_is_stored(user, name, data, code, status):
    with pytest.raises(InvalidUpload) as error:
        check_video(video_upload(name, data))
    assert (error.value.code, error.value.status) == (code, status)
    assert error.value.message.startswith(f"{name}: ")
    (outcome,) = upload_videos(owner=user, files=[video_upload(name, data)])
    assert outcome.error.code == code
    assert not Video.objects.exists()


def test_limits_refuse_large_and_long_videos(user, settings):
    settings.FER_MAX_VIDEO_SECONDS = 1.5
    with pytest.raises(InvalidUpload) as long:
        check_video(video_upload())
    settings.FER_MAX_VIDEO_SECONDS, settings.FER_MAX_VIDEO_BYTES = 600, 1000
    with pytest.raises(InvalidUpload) as big:
        check_video(video_upload())
    settings.FER_MAX_VIDEO_BYTES, settings.FER_MAX_VIDEO_PIXELS = 10**9, 320 * 200
    with pytest.raises(InvalidUpload) as wide:
        check_video(video_upload())
    assert [(e.value.code, e.value.status) for e in (long, big, wide)] == [
        ("video_too_long", 413), ("file_too_large", 413), ("video_too_large", 413)]


def test_bad_options_refuse_the_request(user):
    for options, code in [({"sample_fps": "0"}, "invalid_fps"), ({"sample_fps": "31"}, "invalid_fps"),
                          ({"sample_fps": "fast"}, "invalid_fps"), ({"model": "nope"}, "unknown_model"),
                          ({"detector": "nope"}, "unknown_detector")]:
        with pytest.raises(Exception) as error:
            upload_videos(owner=user, files=[video_upload()], **options)
        assert error.value.code == code
    assert not Video.objects.exists()


def test_a_truncated_video_fails_with_a_reason_and_no_tracks(user):
    video = upload_one(user, "cut.mp4", truncated_clip())
    assert video.status == Video.Status.FAILED
    assert "truncated" in video.error and video.error.startswith("The video could not be analysed")
    assert not VideoTrack.objects.exists() and video.track_count == 0


def test_progress_is_written_while_it_runs(user, monkeypatch):
    monkeypatch.setattr("ml.serving.video.REPORT_EVERY_S", 0.0)
    seen = []
    real = video_services._Watch.progress

    def progress(self, done, expected):
        real(self, done, expected)
        seen.append(Video.objects.values_list("status", "progress", "frames_analysed").get(pk=self.video_id))

    monkeypatch.setattr(video_services._Watch, "progress", progress)
    video = upload_one(user)
    assert [s[2] for s in seen] == list(range(1, 11))
    assert all(status == "running" and 0 < p < 1 for status, p, _ in seen)
    assert [round(s[1], 2) for s in seen[:3]] == [0.1, 0.2, 0.3]
    assert video.progress == 1.0 and video.status == "done"


def test_cancelling_a_running_video_stops_it_without_results(user, monkeypatch):
    monkeypatch.setattr("ml.serving.video.REPORT_EVERY_S", 0.0)
    real = video_services._Watch.progress

    def progress(self, done, expected):  # the owner presses Cancel after the third frame
        real(self, done, expected)
        if done == 3:
            assert video_services.video_cancel(owner=user, video_id=self.video_id).cancel_requested

    monkeypatch.setattr(video_services._Watch, "progress", progress)
    video = upload_one(user)
    assert video.status == Video.Status.CANCELLED and video.frames_analysed == 3
    assert not video.tracks.exists() and video.track_count == 0


def test_cancelling_a_pending_video_ends_it_and_the_task_does_nothing(user, settings):
    settings.FER_TASK_MODE = "celery"  # queued, not run: the broker is replaced below
    dispatch_calls = []
    from analysis.core import tasks

    tasks.analyse_video.apply_async = lambda args: dispatch_calls.append(args)
    try:
        video = upload_one(user)
    finally:
        del tasks.analyse_video.apply_async
    assert dispatch_calls == [[str(video.id)]] and video.status == "pending"
    assert video_services.video_cancel(owner=user, video_id=video.id).status == Video.Status.CANCELLED
    assert video_services.video_process(video_id=video.id) is None  # the delivered task finds it finished
    assert Video.objects.get(pk=video.pk).status == Video.Status.CANCELLED


def test_out_of_time_fails_with_a_reason(user, settings, monkeypatch):
    monkeypatch.setattr("ml.serving.video.REPORT_EVERY_S", 0.0)
    settings.FER_VIDEO_TIME_LIMIT_S = -1
    video = upload_one(user)
    assert video.status == Video.Status.FAILED and "time limit" in video.error
    assert not video.tracks.exists()


def test_a_redelivered_task_starts_over_and_a_finished_one_is_left_alone(user, settings):
    settings.FER_TASK_MODE = "celery"
    from analysis.core import tasks

    tasks.analyse_video.apply_async = lambda args: None
    try:
        video = upload_one(user)
    finally:
        del tasks.analyse_video.apply_async
    # The first worker claimed it and died mid-way (progress half written), then the broker redelivers it.
    Video.objects.filter(pk=video.pk).update(status="running", attempts=1, progress=0.5, frames_analysed=5)
    done = video_services.video_process(video_id=video.id)
    assert (done.status, done.attempts, done.track_count) == ("done", 2, 1)
    assert video_services.video_process(video_id=video.id) is None
    assert VideoTrack.objects.filter(video=video).count() == 1


def test_a_copy_delivered_while_another_worker_reports_progress_does_nothing(user, settings):
    video = upload_one(user)
    Video.objects.filter(pk=video.pk).update(status="running", attempts=1, heartbeat_at=timezone.now(),
                                             track_count=0)
    assert video_services.video_process(video_id=video.id) is None
    assert Video.objects.get(pk=video.pk).attempts == 1  # not claimed a second time
    settings.FER_VIDEO_HEARTBEAT_TIMEOUT_S = 0  # silent since: that worker is gone, so this copy takes it over
    assert video_services.video_process(video_id=video.id).attempts == 2


def test_worker_deaths_are_not_retried_forever(user, settings):
    video = upload_one(user)
    Video.objects.filter(pk=video.pk).update(status="running", attempts=settings.FER_ANALYSIS_MAX_ATTEMPTS,
                                             heartbeat_at=None)
    assert video_services.video_process(video_id=video.id) is None
    failed = Video.objects.get(pk=video.pk)
    assert failed.status == "failed" and "several times" in failed.error


def test_the_sweep_fails_videos_whose_worker_went_away(user, settings):
    video = upload_one(user)
    long_ago = timezone.now() - timezone.timedelta(seconds=settings.FER_VIDEO_STALE_SECONDS + 5)
    Video.objects.filter(pk=video.pk).update(status="running", heartbeat_at=long_ago)
    fresh = upload_one(user)
    Video.objects.filter(pk=fresh.pk).update(status="running", heartbeat_at=timezone.now())
    queued = upload_one(user)
    Video.objects.filter(pk=queued.pk).update(status="pending")
    assert services.analysis_sweep()["videos_failed_stale"] == 1
    assert Video.objects.get(pk=video.pk).status == "failed"
    assert Video.objects.get(pk=fresh.pk).status == "running"
    assert Video.objects.get(pk=queued.pk).status == "pending"  # a queue may be long: it waits
    settings.FER_VIDEO_QUEUE_TIMEOUT_S = -1
    assert services.analysis_sweep()["videos_failed_stale"] == 1
    assert "never started" in Video.objects.get(pk=queued.pk).error


def test_keep_no_files_deletes_the_video_once_analysed(make_user, settings):
    owner = make_user(keep_photos=False)
    video = upload_one(owner)
    assert video.status == "done" and video.file_discarded and not video.file
    assert not list((settings.MEDIA_ROOT / "videos").glob("*.mp4"))
    assert video.tracks.count() == 1  # the results stay


def test_delete_and_delete_all_remove_rows_and_files(user, make_user, settings):
    first, second = upload_one(user), upload_one(user)
    other = upload_one(make_user(username="bob"))
    with TestCase.captureOnCommitCallbacks(execute=True):  # files go once the deletion is committed
        assert video_services.video_delete(owner=user, ids=[first.id, other.id]) == 1  # bob's id is ignored
        services.user_data_delete(user=user)
    assert Video.objects.filter(pk=other.pk).exists()
    assert not Video.objects.filter(owner=user).exists() and not VideoTrack.objects.filter(video=second).exists()
    stored = [p.name for p in (settings.MEDIA_ROOT / "videos").glob("*.mp4")]
    assert stored == [other.file.name.rsplit("/", 1)[-1]]


def test_annotated_video_is_made_on_request(user):
    video = upload_one(user)
    assert video_services.video_annotate_request(video=video) is True
    with TestCase.captureOnCommitCallbacks(execute=True):
        dispatch.submit_annotation(video)
    video.refresh_from_db()
    assert video.annotated_status == "done" and video.annotated.name.endswith(".mp4")
    assert video_services.video_annotate_request(video=video) is False  # already made: no second task
