"""The analyses endpoints: create (wait, 202, batch), list, retrieve, delete, downloads, errors, ownership."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pytest
from PIL import Image

from analysis.core import services
from analysis.core.tasks import analyse_photo
from analysis.models import Analysis
from tests.analysis_factories import days_ago, make_analysis
from tests.api.conftest import assert_error
from tests.photos import blank_photo, encode, face_photo, upload

pytestmark = pytest.mark.django_db
LIST = "/api/v1/analyses/"
BATCH = "/api/v1/analyses/batch/"


def detail(analysis_id) -> str:
    return f"{LIST}{analysis_id}/"


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, format="GIF")
    return buffer.getvalue()


@pytest.fixture
def no_processing(settings, monkeypatch):
    """Celery mode where the broker takes every task but no worker ever runs one (workers busy or down)."""
    settings.FER_TASK_MODE = "celery"
    monkeypatch.setattr(analyse_photo, "apply_async", lambda *args, **kwargs: None)


# --- create ----------------------------------------------------------------------------------------


def test_wait_returns_201_with_faces(api, user):
    response = api.post(LIST, {"image": upload("astronaut.jpg", face_photo()), "wait": "true"}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "done" and body["face_count"] == 1 and body["model"] == "fast"
    face = body["faces"][0]
    assert set(face["box"]) == {"x", "y", "w", "h"} and face["box"]["w"] > 0
    assert abs(sum(face["probabilities"].values()) - 1) < 1e-3
    assert face["emotion"] == max(face["probabilities"], key=face["probabilities"].get)
    assert "total" in body["timings_ms"]
    assert response["Location"] == body["url"] == f"http://testserver{detail(body['id'])}"
    assert body["photo_url"].endswith("/photo/") and body["annotated_url"].endswith("/annotated/")
    assert Analysis.objects.get(id=body["id"]).owner == user


def test_wait_with_no_face_is_a_result(api):
    body = api.post(LIST, {"image": upload("blank.jpg", blank_photo()), "wait": True}, format="multipart").json()
    assert body["status"] == "done" and body["face_count"] == 0 and body["faces"] == []


def test_wait_in_thread_mode_processes_in_the_request(api, settings):
    settings.FER_TASK_MODE = "thread"
    response = api.post(LIST, {"image": upload("a.jpg", face_photo()), "wait": "TRUE"}, format="multipart")
    assert response.status_code == 201 and response.json()["face_count"] == 1


def test_without_wait_202_and_pending(api, no_processing):
    response = api.post(LIST, {"image": upload("a.jpg", face_photo())}, format="multipart")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["faces"] == [] and body["annotated_url"] is None
    assert api.get(body["url"]).json()["status"] == "pending"
    services.analysis_process(analysis_id=body["id"])
    assert api.get(body["url"]).json()["status"] == "done"


def test_wait_times_out_with_202_when_a_worker_is_slow(api, settings, no_processing):
    settings.FER_TASK_MODE = "celery"
    response = api.post(LIST, {"image": upload("a.jpg", face_photo()), "wait": "true", "timeout": "0.2"},
                        format="multipart")
    assert response.status_code == 202 and response.json()["status"] == "pending"


def test_wait_in_celery_mode_sees_the_worker_finish(api, settings, monkeypatch):
    settings.FER_TASK_MODE = "celery"
    monkeypatch.setattr(analyse_photo, "apply_async", lambda args, **kwargs: services.analysis_process(
        analysis_id=args[0]))
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, using=None, robust=False: func())
    response = api.post(LIST, {"image": upload("a.jpg", face_photo()), "wait": "true"}, format="multipart")
    assert response.status_code == 201 and response.json()["status"] == "done"


def test_model_and_detector_choices(api):
    body = api.post(LIST, {"image": upload("a.jpg", face_photo()), "model": "fast", "detector": "haar",
                           "wait": "true"}, format="multipart").json()
    assert body["model"] == "fast" and body["detector"] == "haar"


# --- errors ------------------------------------------------------------------------------------------


def post_image(api, data: bytes, name: str = "x.jpg", **fields):
    return api.post(LIST, {"image": upload(name, data), **fields}, format="multipart")


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"this is not an image", 400, "invalid_image"),
        (face_photo()[:2000], 400, "invalid_image"),  # truncated JPEG
        (b"", 400, "empty_file"),
        (gif(), 415, "unsupported_format"),
    ],
    ids=["text", "truncated", "empty", "gif"],
)
def test_bad_images_are_refused_with_their_code(api, data, status, code):
    assert_error(post_image(api, data), status, code)
    assert not Analysis.objects.exists()


def test_size_and_pixel_limits_give_413(api, settings):
    settings.FER_MAX_UPLOAD_BYTES = 1000
    assert_error(post_image(api, face_photo()), 413, "image_too_large")
    settings.FER_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    settings.FER_MAX_IMAGE_PIXELS = 100 * 100
    assert_error(post_image(api, encode(np.zeros((200, 200, 3), dtype=np.uint8))), 413, "image_too_large")
    assert not Analysis.objects.exists()


def test_unknown_model_and_detector(api):
    assert_error(post_image(api, face_photo(), model="vgg99"), 400, "unknown_model")
    assert_error(post_image(api, face_photo(), detector="eyeballs"), 400, "unknown_detector")
    assert not Analysis.objects.exists()


def test_missing_file_bad_fields_and_wrong_content_type(api):
    assert_error(api.post(LIST, {"model": "fast"}, format="multipart"), 400, "no_file")
    error = assert_error(post_image(api, face_photo(), timeout="99"), 400, "validation_error")
    assert "timeout" in error["details"]["fields"]
    for wait in ("perhaps", "1", "yes"):  # the schema's boolean: true or false
        assert_error(post_image(api, face_photo(), wait=wait), 400, "validation_error")
    for query in ("?timeout=99", "?wait=2", "?timeout="):  # a bad query value is an error even when the form is fine
        response = api.post(LIST + query, {"image": upload("a.jpg", face_photo()), "timeout": "5", "wait": "false"},
                            format="multipart")
        assert_error(response, 400, "validation_error")
    assert_error(api.post(LIST, {"image": "x"}, format="json"), 415, "unsupported_media_type")
    assert_error(api.put(LIST, {}, format="json"), 405, "method_not_allowed")
    assert not Analysis.objects.exists()


def test_unknown_paths_and_malformed_ids_are_json_404(api):
    assert_error(api.get("/api/v1/nothing-here/"), 404, "not_found")
    assert_error(api.get(f"{LIST}not-a-uuid/"), 404, "not_found")
    assert_error(api.get(f"{LIST}{uuid.uuid4()}/"), 404, "not_found")


def test_uploads_are_throttled_per_user(api, bob_api, settings):
    settings.FER_UPLOAD_RATE = "2/min"
    for _ in range(2):
        assert post_image(api, b"").status_code == 400  # refused uploads count too
    response = post_image(api, face_photo())
    error = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1 and error["details"]["retry_after"] >= 1
    assert api.get(LIST).status_code == 200  # reading is another scope
    assert post_image(bob_api, b"").status_code == 400  # another user has their own budget


def test_batch_counts_each_file_against_the_upload_rate(api, settings):
    settings.FER_UPLOAD_RATE = "3/min"
    files = [upload(f"{i}.jpg", b"") for i in range(4)]
    assert_error(api.post(BATCH, {"images": files}, format="multipart"), 429, "throttled")


def test_default_user_rate_applies_to_every_endpoint(api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"user": "2/min", "anon": "1/min"}}
    api.get("/api/v1/models/")
    api.get(LIST)
    assert_error(api.get("/api/v1/stats/"), 429, "throttled")


# --- batch ---------------------------------------------------------------------------------------


def test_batch_partial_failure(api, user):
    files = [upload("face.jpg", face_photo()), upload("notes.txt", b"hello"), upload("empty.jpg", b""),
             upload("anim.gif", gif()), upload("blank.png", encode(np.full((60, 80, 3), 200, np.uint8), "PNG"))]
    response = api.post(BATCH, {"images": files, "wait": "true"}, format="multipart")
    assert response.status_code == 207
    results = response.json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in results] == [201, 400, 400, 415, 201]
    assert results[0]["analysis"]["face_count"] == 1 and "error" not in results[0]
    assert [r.get("error", {}).get("code") for r in results] == [None, "invalid_image", "empty_file",
                                                                   "unsupported_format", None]
    assert results[1]["name"] == "notes.txt" and "analysis" not in results[1]
    assert Analysis.objects.filter(owner=user).count() == 2


def test_batch_without_wait_is_pending(api, no_processing):
    response = api.post(BATCH, {"images": [upload("a.jpg", face_photo()), upload("b.jpg", face_photo())]},
                        format="multipart")
    assert response.status_code == 207
    assert [r["status"] for r in response.json()["results"]] == [202, 202]


def test_batch_request_level_errors(api, settings):
    assert_error(api.post(BATCH, {}, format="multipart"), 400, "no_file")
    files = [upload(f"{i}.jpg", b"x") for i in range(21)]
    assert_error(api.post(BATCH, {"images": files}, format="multipart"), 400, "too_many_files")
    assert_error(api.post(BATCH, {"images": [upload("a.jpg", face_photo())], "model": "nope"}, format="multipart"),
                 400, "unknown_model")


# --- list, retrieve, delete, downloads -------------------------------------------------------------


def test_list_is_paginated_by_cursor_and_filtered(api, user, bob):
    for i in range(5):
        make_analysis(user, faces=["happy"], name=f"h{i}.jpg", created_at=days_ago(i))
    make_analysis(user, faces=["sad", "angry"], name="sad.jpg", model="vgg16", created_at=days_ago(10))
    make_analysis(user, name="failed.jpg", status=Analysis.Status.FAILED, created_at=days_ago(11))
    make_analysis(bob, faces=["happy"], name="bobs.jpg")

    page = api.get(LIST, {"page_size": 3}).json()
    assert [a["original_name"] for a in page["results"]] == ["h0.jpg", "h1.jpg", "h2.jpg"]
    assert page["previous"] is None and page["next"]
    names = [a["original_name"] for a in page["results"]]
    while page["next"]:
        page = api.get(page["next"]).json()
        names += [a["original_name"] for a in page["results"]]
    assert names == ["h0.jpg", "h1.jpg", "h2.jpg", "h3.jpg", "h4.jpg", "sad.jpg", "failed.jpg"]

    def names_for(**params):
        return [a["original_name"] for a in api.get(LIST, params).json()["results"]]

    assert names_for(emotion="angry") == ["sad.jpg"]
    assert names_for(model="vgg16") == ["sad.jpg"]
    assert names_for(status="failed") == ["failed.jpg"]
    assert names_for(created_after=days_ago(2, hour=0).isoformat()) == ["h0.jpg", "h1.jpg", "h2.jpg"]
    assert names_for(created_before=days_ago(10, hour=23).isoformat()) == ["sad.jpg", "failed.jpg"]
    assert len(api.get(LIST).json()["results"][0]["faces"]) == 1


def test_list_rejects_garbage_parameters(api):
    assert_error(api.get(LIST, {"emotion": "joy"}), 400, "validation_error")
    assert_error(api.get(LIST, {"created_after": "yesterday-ish"}), 400, "validation_error")
    assert_error(api.get(LIST, {"status": "exploded"}), 400, "validation_error")
    assert_error(api.get(LIST, {"cursor": "garbage!"}), 404, "invalid_cursor")
    for size in ("lots", "0", "101", "-1", "1.5"):  # the schema's integer from 1 to 100
        assert_error(api.get(LIST, {"page_size": size}), 400, "validation_error")
    for name in ("emotion", "status", "model", "created_after"):  # given but empty: not "omitted"
        assert_error(api.get(LIST, {name: ""}), 400, "validation_error")


def test_list_range_that_ends_before_it_starts_is_empty(api, user):
    make_analysis(user, created_at=days_ago(40))

    body = api.get(LIST, {"created_after": days_ago(30).isoformat(), "created_before": days_ago(50).isoformat()})

    assert body.status_code == 200 and body.json()["results"] == []


def test_retrieve_and_delete(api, user):
    analysis = make_analysis(user, faces=[("happy", 0.9), "sad"], photo=True)
    body = api.get(detail(analysis.id)).json()
    assert body["id"] == str(analysis.id) and [f["index"] for f in body["faces"]] == [0, 1]
    assert body["faces"][0]["emotion"] == "happy" and body["faces"][0]["confidence"] == 0.9
    assert body["faces"][0]["box"] == {"x": 0, "y": 20, "w": 50, "h": 60}
    assert api.delete(detail(analysis.id)).status_code == 204
    assert not Analysis.objects.exists()
    assert_error(api.get(detail(analysis.id)), 404, "not_found")
    assert_error(api.delete(detail(analysis.id)), 404, "not_found")


def test_downloads(api):
    body = api.post(LIST, {"image": upload("astronaut.jpg", face_photo()), "wait": "true"}, format="multipart").json()
    photo = api.get(body["photo_url"])
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert b"".join(photo.streaming_content) == face_photo()
    annotated = api.get(body["annotated_url"], HTTP_ACCEPT="image/*")
    assert annotated.status_code == 200 and annotated["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(annotated.content)).size == (512, 512)


def test_downloads_when_the_photo_was_not_kept_or_not_done(api, user, no_processing):
    user.keep_photos = False
    user.save()
    body = api.post(LIST, {"image": upload("a.jpg", face_photo())}, format="multipart").json()
    assert_error(api.get(f"{body['url']}annotated/", HTTP_ACCEPT="image/jpeg"), 404, "not_ready")
    services.analysis_process(analysis_id=body["id"])
    done = api.get(body["url"]).json()
    assert done["photo_kept"] is False and done["photo_url"] is None and done["annotated_url"] is None
    assert_error(api.get(f"{body['url']}photo/"), 404, "photo_not_kept")
    assert_error(api.get(f"{body['url']}annotated/"), 404, "photo_not_kept")


def test_another_users_analysis_is_not_found_everywhere(api, bob_api, bob):
    theirs = make_analysis(bob, faces=["happy"], photo=True)
    for path in (detail(theirs.id), f"{detail(theirs.id)}photo/", f"{detail(theirs.id)}annotated/"):
        assert_error(api.get(path), 404, "not_found")
    assert_error(api.delete(detail(theirs.id)), 404, "not_found")
    assert api.get(LIST).json()["results"] == []
    assert api.get("/api/v1/stats/", {"period": "all"}).json()["headline"]["analyses"] == 0
    assert Analysis.objects.filter(id=theirs.id).exists()
    assert bob_api.get(detail(theirs.id)).status_code == 200


def test_wait_can_be_given_in_the_query_string(api):
    response = api.post(f"{LIST}?wait=true&timeout=20", {"image": upload("a.jpg", face_photo())}, format="multipart")
    assert response.status_code == 201 and response.json()["face_count"] == 1
    assert_error(api.post(f"{LIST}?timeout=-1", {"image": upload("a.jpg", face_photo())}, format="multipart"),
                 400, "validation_error")


@pytest.mark.parametrize("content_type, body", [
    ("multipart/form-data", b'--X\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--X--\r\n'),
    ("multipart/form-data; boundary=X", b'--X\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n'
     + b"A" * 5000),
])
def test_malformed_multipart_is_a_clear_parse_error(api, content_type, body):
    error = assert_error(api.generic("POST", LIST, body, content_type=content_type), 400, "parse_error")

    assert "not valid multipart/form-data" in error["message"] and "header size" not in error["message"]
    assert error["details"]["reason"]


# --- one upload budget per user for the page and the API -------------------------------------------


def test_page_and_api_share_one_upload_budget(api, client, user, bob_api, settings):
    settings.FER_UPLOAD_RATE = "3/min"
    client.force_login(user)
    page = "/analyze/"

    first = client.post(page, {"images": [upload("a.jpg", b""), upload("b.jpg", b"")]}, HTTP_ACCEPT="application/json")
    assert first.status_code == 400  # both refused (empty), and both counted
    assert post_image(api, b"").status_code == 400  # the third photo, through the API

    refused = client.post(page, {"images": [upload("c.jpg", face_photo())]}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    (result,) = refused.json()["results"]
    assert result["code"] == "throttled" and "at most 3 per minute" in result["error"]
    error = assert_error(post_image(api, face_photo()), 429, "throttled")
    assert error["details"]["retry_after"] >= 1
    assert Analysis.objects.filter(owner=user).count() == 0  # nothing of a refused request is stored
    assert post_image(bob_api, b"").status_code == 400  # another user has their own budget


def test_upload_page_without_script_is_told_to_wait(client, user, settings):
    settings.FER_UPLOAD_RATE = "1/min"
    client.force_login(user)
    client.post("/analyze/", {"images": [upload("a.jpg", b"")]})

    response = client.post("/analyze/", {"images": [upload("b.jpg", b"")]}, follow=True)

    assert "Too many photos: at most 1 per minute" in response.content.decode()


def test_rate_counting_waits_exactly_until_a_slot_frees(monkeypatch):
    from fer_site import rate_limits

    clock = [1000.0]
    monkeypatch.setattr(rate_limits.time, "time", lambda: clock[0])
    assert rate_limits.take("k", "2/min") is None
    clock[0] += 20
    assert rate_limits.take("k", "2/min") is None
    clock[0] += 10
    assert rate_limits.take("k", "2/min") == 30  # the first request leaves the window 60 s after it came
    assert rate_limits.take("k", "2/min", cost=3) == 60  # never fits
    clock[0] += 30
    assert rate_limits.take("k", "2/min") is None
    with pytest.raises(ValueError, match="120/min"):
        rate_limits.take("k", "lots")
