"""The video endpoints: upload (202), status and progress, tracks with timelines once done, list with
cursor pagination and filters, cancel, delete, bad files, and per-user isolation."""

from __future__ import annotations

import pytest
from django.test import TestCase

from analysis.models import Video
from tests.api.conftest import assert_error
from tests.videos import audio_only, make_video, video_upload

pytestmark = pytest.mark.django_db
EMOTION_KEYS = {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}


def test_upload_answers_202_and_the_finished_video_has_one_track_with_a_timeline(api, user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api.post("/api/v1/videos/", {"video": video_upload(), "model": "fast", "fps": "5"},
                            format="multipart")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and response["Location"] == body["url"]
    detail = api.get(f"/api/v1/videos/{body['id']}/").json()
    assert (detail["status"], detail["progress"], detail["frames_analysed"]) == ("done", 1.0, 10)
    assert detail["duration_s"] == pytest.approx(2.0, abs=0.05) and detail["fps"] == 5.0
    (track,) = detail["tracks"]
    assert track["id"] == 1 and track["frames"] == len(track["timeline"]) == track["summary"]["frames"]
    sample = track["timeline"][0]
    assert set(sample) == {"t", "box", "emotion", "probabilities"} and set(sample["probabilities"]) == EMOTION_KEYS
    assert sum(track["summary"]["shares"].values()) == pytest.approx(1, abs=1e-3)
    no_timeline = api.get(f"/api/v1/videos/{body['id']}/", {"timeline": "false"}).json()
    assert "timeline" not in no_timeline["tracks"][0] and no_timeline["tracks"][0]["summary"] == track["summary"]


def test_a_running_video_shows_progress_and_no_partial_tracks(api, user):
    video = make_video(user)
    Video.objects.filter(pk=video.pk).update(status="running", progress=0.4, frames_analysed=4)
    body = api.get(f"/api/v1/videos/{video.id}/").json()
    assert (body["status"], body["progress"], body["frames_analysed"], body["tracks"]) == ("running", 0.4, 4, [])


@pytest.mark.parametrize(("data", "name", "status", "code"), [
    (b"plain text, not a video", "notes.mp4", 400, "invalid_video"),
    (audio_only(), "song.m4a", 400, "no_video_track"),
])
def test_bad_files_get_a_clear_error_and_nothing_is_stored(api, data, name, status, code):
    assert_error(api.post("/api/v1/videos/", {"video": video_upload(name, data)}, format="multipart"), status, code)
    assert not Video.objects.exists()


def test_limits_and_options(api, settings):
    settings.FER_MAX_VIDEO_SECONDS = 1
    assert_error(api.post("/api/v1/videos/", {"video": video_upload()}, format="multipart"), 413, "video_too_long")
    settings.FER_MAX_VIDEO_SECONDS = 600
    assert_error(api.post("/api/v1/videos/", {"video": video_upload(), "fps": "60"}, format="multipart"), 400,
                 "validation_error")
    assert_error(api.post("/api/v1/videos/", {"video": video_upload(), "model": "nope"}, format="multipart"), 400,
                 "unknown_model")
    assert_error(api.post("/api/v1/videos/", {}, format="multipart"), 400, "no_file")
    assert not Video.objects.exists()


def test_list_is_paginated_by_cursor_and_filtered(api, user):
    videos = [make_video(user, emotions=("sad",) if i == 0 else ("happy",)) for i in range(3)]
    make_video(user, status="failed")
    first = api.get("/api/v1/videos/", {"page_size": 2, "status": "done"}).json()
    assert len(first["results"]) == 2 and "tracks" not in first["results"][0]
    second = api.get(first["next"]).json()
    ids = [v["id"] for v in first["results"] + second["results"]]
    assert sorted(ids) == sorted(str(v.id) for v in videos) and second["next"] is None
    sad = api.get("/api/v1/videos/", {"emotion": "sad"}).json()["results"]
    assert [v["id"] for v in sad] == [str(videos[0].id)]
    assert_error(api.get("/api/v1/videos/", {"status": "nope"}), 400, "validation_error")


def test_cancel_and_delete(api, user):
    pending = make_video(user, status="pending")
    response = api.post(f"/api/v1/videos/{pending.id}/cancel/")
    assert response.status_code == 202 and response.json()["status"] == "cancelled"
    running = make_video(user, status="running")
    assert api.post(f"/api/v1/videos/{running.id}/cancel/").json()["cancel_requested"] is True
    assert api.delete(f"/api/v1/videos/{running.id}/").status_code == 204
    assert not Video.objects.filter(pk=running.pk).exists()


def test_another_users_video_is_a_404_everywhere(api, bob_api, user):
    video = make_video(user, status="running")
    assert bob_api.get("/api/v1/videos/").json()["results"] == []
    assert_error(bob_api.get(f"/api/v1/videos/{video.id}/"), 404, "not_found")
    assert_error(bob_api.post(f"/api/v1/videos/{video.id}/cancel/"), 404, "not_found")
    assert_error(bob_api.delete(f"/api/v1/videos/{video.id}/"), 404, "not_found")
    unchanged = Video.objects.get(pk=video.pk)
    assert unchanged.status == "running" and not unchanged.cancel_requested


def test_anonymous_requests_are_refused(anon, user):
    video = make_video(user)
    assert_error(anon.get(f"/api/v1/videos/{video.id}/"), 401, "not_authenticated")


def test_the_schema_documents_the_video_endpoints(anon):
    paths = anon.get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    assert {"/api/v1/videos/", "/api/v1/videos/{video_id}/", "/api/v1/videos/{video_id}/cancel/"} <= set(paths)
    create = paths["/api/v1/videos/"]["post"]
    assert {"202", "400", "413", "415"} <= set(create["responses"])
    schema = create["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = anon.get("/api/v1/schema/", {"format": "json"}).json()["components"]["schemas"][schema]["properties"]
    assert {"video", "model", "detector", "fps"} <= set(fields)
