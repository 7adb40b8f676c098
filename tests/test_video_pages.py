"""The videos pages: upload (JSON per file), status with progress, the result page and its data,
the ranged file download, cancel, delete, annotated MP4, exports, and per-user isolation."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import TestCase
from django.urls import reverse

from analysis.core.choices import uncertain_below
from analysis.models import Video
from tests.videos import make_video, video_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_upload_page_uploads_and_the_status_reports_progress(signed_in, user):
    assert signed_in.get(reverse("analysis:videos")).status_code == 200
    with TestCase.captureOnCommitCallbacks(execute=False):  # stored, not started yet
        response = signed_in.post(reverse("analysis:videos"), {"videos": [video_upload()], "model": "fast", "fps": "2"},
                                  HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["ok"] and result["status"] == "pending" and result["progress"] == 0
    video = Video.objects.get(id=result["id"])
    assert (video.owner, video.sample_fps, video.frames_expected) == (user, 2.0, 4)
    Video.objects.filter(pk=video.pk).update(status="running", progress=0.5, frames_analysed=2)
    status = signed_in.get(reverse("analysis:video_status"), {"ids": str(video.id)}).json()["videos"][0]
    assert (status["status"], status["progress"], status["frames_analysed"], status["frames_expected"]) == (
        "running", 0.5, 2, 4)


def test_a_bad_file_is_refused_with_its_reason(signed_in):
    response = signed_in.post(reverse("analysis:videos"), {"videos": [video_upload("notes.mp4", b"not a video")]},
                              HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    result = response.json()["results"][0]
    assert result["code"] == "invalid_video" and result["error"].startswith("notes.mp4: ")
    assert not Video.objects.exists()


def test_result_page_has_player_overlay_data_timelines_and_summary(signed_in, user):
    video = make_video(user, emotions=("happy", "happy", "sad"))
    page = signed_in.get(reverse("analysis:video_detail", args=[video.id])).content.decode()
    assert reverse("analysis:video_file", args=[video.id]) in page and 'id="video-overlay"' in page
    assert 'id="chart-face-1"' in page and "Face 1" in page
    assert "67%" in page  # two of three samples happy: share of time
    frames = signed_in.get(reverse("analysis:video_frames", args=[video.id])).json()
    assert [s["t"] for s in frames["samples"]] == [0.0, 0.2, 0.4]
    number, x, y, w, h, emotion, confidence = frames["samples"][2]["faces"][0]
    assert (number, x, w, frames["emotions"][emotion], confidence) == (1, 80, 100, "sad", 0.7)
    # The script marks faces under the video's model's calibrated threshold as uncertain.
    assert frames["uncertain_below"] == uncertain_below(video.model_name)


def test_the_video_is_served_in_byte_ranges(signed_in, user):
    video = make_video(user)
    url = reverse("analysis:video_file", args=[video.id])
    whole = signed_in.get(url)
    data = b"".join(whole.streaming_content)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and whole["Content-Type"] == "video/mp4"
    part = signed_in.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert b"".join(part.streaming_content) == data[100:200]
    tail = signed_in.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == data[-10:]
    assert signed_in.get(url, HTTP_RANGE=f"bytes={len(data)}-").status_code == 416


def test_exports_have_one_row_per_track_per_sample(signed_in, user):
    video = make_video(user, emotions=("happy", "sad"))
    response = signed_in.get(reverse("analysis:video_export_csv", args=[video.id]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert "attachment" in response["Content-Disposition"] and "walk-faces.csv" in response["Content-Disposition"]
    assert [(r["t"], r["track"], r["x"], r["emotion"], r["p_sad"]) for r in rows] == [
        ("0.0", "1", "60", "happy", "0.05"), ("0.2", "1", "70", "sad", "0.7")]
    body = json.loads(b"".join(signed_in.get(reverse("analysis:video_export_json", args=[video.id]))
                               .streaming_content))
    assert body["video_id"] == str(video.id) and len(body["rows"]) == 2
    assert body["rows"][1]["box"] == {"x": 70, "y": 40, "w": 100, "h": 100}
    assert body["rows"][1]["probabilities"]["sad"] == 0.7


def test_cancel_and_delete(signed_in, user, settings):
    pending = make_video(user, status="pending")
    response = signed_in.post(reverse("analysis:video_cancel", args=[pending.id]), HTTP_ACCEPT="application/json")
    assert response.json()["status"] == "cancelled"
    with TestCase.captureOnCommitCallbacks(execute=True):
        signed_in.post(reverse("analysis:video_delete", args=[pending.id]))
    assert not Video.objects.filter(pk=pending.pk).exists()
    assert not list((settings.MEDIA_ROOT / "videos").glob("*.mp4"))


def test_annotated_mp4_is_made_on_request_and_downloaded(signed_in, user):
    video = make_video(user)
    assert signed_in.get(reverse("analysis:video_annotated", args=[video.id])).status_code == 404
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = signed_in.post(reverse("analysis:video_annotate", args=[video.id]), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert signed_in.get(reverse("analysis:video_status"), {"ids": str(video.id)}).json()["videos"][0][
        "annotated_status"] == "done"
    download = signed_in.get(reverse("analysis:video_annotated", args=[video.id]))
    assert download.status_code == 200 and download["Content-Type"] == "video/mp4"
    assert b"ftyp" in b"".join(download.streaming_content)[:32]


def test_without_the_file_there_is_nothing_to_play_or_annotate(signed_in, user):
    video = make_video(user, with_file=False)
    page = signed_in.get(reverse("analysis:video_detail", args=[video.id])).content.decode()
    assert "not kept" in page and "<video" not in page
    assert signed_in.get(reverse("analysis:video_file", args=[video.id])).status_code == 404
    response = signed_in.post(reverse("analysis:video_annotate", args=[video.id]), HTTP_ACCEPT="application/json")
    assert response.status_code == 404 and response.json()["code"] == "video_not_kept"


@pytest.mark.parametrize("name", ["video_detail", "video_file", "video_frames", "video_annotated", "video_export_csv",
                                  "video_export_json"])
def test_another_users_video_is_a_404(client, make_user, name):
    video = make_video(make_user(username="owner"))
    client.force_login(make_user(username="intruder"))
    assert client.get(reverse(f"analysis:{name}", args=[video.id])).status_code == 404


@pytest.mark.parametrize("name", ["video_cancel", "video_delete", "video_annotate"])
def test_another_user_cannot_act_on_a_video(client, make_user, name):
    video = make_video(make_user(username="owner"), status="running")
    client.force_login(make_user(username="intruder"))
    assert client.post(reverse(f"analysis:{name}", args=[video.id])).status_code == 404
    assert Video.objects.get(pk=video.pk).status == "running" and not Video.objects.get(pk=video.pk).cancel_requested
    assert client.get(reverse("analysis:video_status"), {"ids": str(video.id)}).json() == {"videos": []}


def test_history_statistics_and_privacy_cover_videos(signed_in, user):
    make_video(user, emotions=("happy", "happy", "sad"), name="interview.mp4")
    history = signed_in.get(reverse("analysis:history")).content.decode()
    assert "interview.mp4" in history and reverse("analysis:videos") in history
    stats = signed_in.get(reverse("analysis:statistics")).content.decode()
    assert 'data-stat="videos">1<' in stats and 'data-stat="video_faces">1<' in stats and 'id="chart-videos"' in stats
    api_stats = signed_in.get("/api/v1/stats/").json()["videos"]
    assert (api_stats["videos"], api_stats["faces"], api_stats["frames"]) == (1, 1, 3)
    assert (api_stats["per_emotion"]["happy"], api_stats["per_emotion"]["sad"]) == (2, 1)
    privacy = signed_in.get(reverse("analysis:privacy")).content.decode()
    assert 'data-count="videos">1 (1)<' in privacy
    delete_all = signed_in.get(reverse("analysis:delete_all")).content.decode()
    assert 'data-count="videos">1<' in delete_all
