"""Uploading photos, processing them, and the result pages (issue 5)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from analysis.core import services
from analysis.core.choices import default_model
from analysis.core.photo_checks import InvalidUpload, check_image
from analysis.models import Analysis, Face
from ml.serving.detection import DEFAULT_DETECTOR
from tests.photos import blank_photo, encode, face_photo, upload

pytestmark = pytest.mark.django_db


def post_photos(client, *files, **fields):
    return client.post(reverse("analysis:analyze"), {"images": list(files), **fields},
                       HTTP_ACCEPT="application/json")


def stored_files(media_root: Path) -> list[Path]:
    return [p for p in Path(media_root).rglob("*") if p.is_file()]


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_upload_finds_the_face_and_stores_one_row_per_face(signed_in, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_photos(signed_in, upload("astronaut.jpg", face_photo()))
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["ok"] and result["status"] == "pending"
    analysis = Analysis.objects.get(id=result["id"])
    assert analysis.owner == user and analysis.status == "done"
    assert analysis.face_count == 1 and analysis.faces.count() == 1
    face = analysis.faces.get()
    assert abs(sum(face.probabilities.values()) - 1.0) < 1e-3
    assert face.emotion == max(face.probabilities, key=face.probabilities.get)
    assert analysis.top_emotion == face.emotion
    assert {"decode", "detect", "classify", "total"} <= analysis.timings_ms.keys()
    assert analysis.model_name == default_model() and analysis.detector == DEFAULT_DETECTOR


def test_without_script_one_photo_opens_its_result(signed_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = signed_in.post(reverse("analysis:analyze"), {"images": [upload("a.jpg", face_photo())]})
    analysis = Analysis.objects.get()
    assert response.status_code == 302 and response.url == reverse("analysis:detail", args=[analysis.id])


def test_without_script_each_refusal_names_its_file_once(signed_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = signed_in.post(reverse("analysis:analyze"), {
            "images": [upload("a.jpg", face_photo()), upload("notes.txt", b"text", "text/plain")]}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("analysis:analyze")
    assert "notes.txt: This is not an image file (JPEG, PNG or WebP)." in html
    assert html.count("notes.txt") == 1


def test_status_endpoint_reports_progress(signed_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # not processed yet
        analysis_id = post_photos(signed_in, upload("a.jpg", face_photo())).json()["results"][0]["id"]
    body = signed_in.get(reverse("analysis:status"), {"ids": f"{analysis_id},not-a-uuid"}).json()
    assert [a["status"] for a in body["analyses"]] == ["pending"]
    services.analysis_process(analysis_id=analysis_id)
    body = signed_in.get(reverse("analysis:status"), {"ids": analysis_id}).json()
    assert body["analyses"][0]["status"] == "done" and body["analyses"][0]["faces"] == 1
    face = Analysis.objects.get(id=analysis_id).faces.get()
    assert body["analyses"][0]["summary"] == f"1 face · {face.emotion.capitalize()}"
    assert body["analyses"][0]["thumbnail"] == reverse("analysis:thumbnail", args=[analysis_id])


def test_no_face_is_a_result_not_a_failure(signed_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        analysis_id = post_photos(signed_in, upload("wall.jpg", blank_photo())).json()["results"][0]["id"]
    analysis = Analysis.objects.get(id=analysis_id)
    assert analysis.status == "done" and analysis.face_count == 0 and analysis.error == ""
    page = signed_in.get(reverse("analysis:detail", args=[analysis_id]))
    assert "No face found" in page.content.decode()


def test_result_page_draws_boxes_labels_and_bars(signed_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        analysis_id = post_photos(signed_in, upload("a.png", face_photo("PNG"))).json()["results"][0]["id"]
    face = Face.objects.get(analysis_id=analysis_id)
    html = signed_in.get(reverse("analysis:detail", args=[analysis_id])).content.decode()
    assert f'<rect x="{face.x}" y="{face.y}" width="{face.w}" height="{face.h}"' in html
    assert f"1. {face.emotion.capitalize()}" in html
    assert html.count('class="prob-bar"') == 7
    assert reverse("analysis:annotated", args=[analysis_id]) in html


def test_annotated_image_download(signed_in, django_capture_on_commit_callbacks):
    import io

    from PIL import Image

    with django_capture_on_commit_callbacks(execute=True):
        analysis_id = post_photos(signed_in, upload("a.jpg", face_photo())).json()["results"][0]["id"]
    response = signed_in.get(reverse("analysis:annotated", args=[analysis_id]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "a-annotated.jpg" in response["Content-Disposition"]
    assert Image.open(io.BytesIO(response.content)).size == (512, 512)


def test_bad_files_get_clear_errors_and_leave_nothing(signed_in, settings, _media_root,
                                                      django_capture_on_commit_callbacks):
    good = face_photo()
    files = [
        upload("good.jpg", good),
        upload("notes.txt", b"just some text", "text/plain"),
        upload("half.jpg", good[: len(good) // 2]),
        upload("empty.jpg", b""),
        upload("drawing.gif", _gif(), "image/gif"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        results = post_photos(signed_in, *files).json()["results"]
    by_name = {r["name"]: r for r in results}
    assert by_name["good.jpg"]["ok"]
    assert by_name["notes.txt"]["code"] == "invalid_image" and "not an image" in by_name["notes.txt"]["error"]
    assert by_name["half.jpg"]["code"] == "invalid_image" and "corrupt or truncated" in by_name["half.jpg"]["error"]
    assert by_name["empty.jpg"]["code"] == "empty_file"
    assert by_name["drawing.gif"]["code"] == "unsupported_format"
    assert Analysis.objects.count() == 1
    # The good photo and its thumbnail; nothing for the refused files.
    assert len(stored_files(_media_root)) == 2


def _gif() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    return buffer.getvalue()


def test_size_and_pixel_limits_are_stated_and_the_name_is_not_repeated(signed_in, settings):
    settings.FER_MAX_UPLOAD_BYTES = 1000
    result = post_photos(signed_in, upload("big.jpg", face_photo())).json()["results"][0]
    assert result["code"] == "image_too_large" and "over the 1 kB limit" in result["error"]
    assert result["name"] == "big.jpg" and "big.jpg" not in result["error"]  # the page shows the name beside it
    settings.FER_MAX_UPLOAD_BYTES = 10_000_000
    settings.FER_MAX_IMAGE_PIXELS = 100_000
    result = post_photos(signed_in, upload("wide.jpg", face_photo())).json()["results"][0]
    assert result["code"] == "image_too_large" and "512x512" in result["error"]
    assert "over the limit of 0.1 megapixels" in result["error"] and "wide.jpg" not in result["error"]
    assert Analysis.objects.count() == 0


def test_decompression_bomb_refused_without_decoding(settings):
    import numpy as np

    settings.FER_MAX_IMAGE_PIXELS = 40_000_000
    bomb = encode(np.zeros((1, 1, 3), dtype=np.uint8), "PNG")
    # Rewrite the PNG header to claim 50000x50000 pixels; the body stays tiny.
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    bomb = bomb[:8] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + bomb[33:]
    with pytest.raises(InvalidUpload) as refused:
        check_image(upload("bomb.png", bomb, "image/png"))
    assert refused.value.code == "image_too_large"
    assert "40 megapixels" in refused.value.message and "bomb.png" not in refused.value.message


def test_unknown_model_is_refused(signed_in):
    result = post_photos(signed_in, upload("a.jpg", face_photo()), model="gpt-face").json()["results"][0]
    assert result["code"] == "unknown_model" and "fast" in result["error"]
    assert Analysis.objects.count() == 0


def test_processing_twice_never_duplicates_faces(user):
    analysis = _pending(user)
    services.analysis_process(analysis_id=analysis.id)
    services.analysis_process(analysis_id=analysis.id)  # a redelivered task
    analysis.refresh_from_db()
    assert analysis.status == "done" and analysis.faces.count() == 1 and analysis.attempts == 1


def test_unreadable_stored_photo_fails_with_a_reason(user):
    analysis = _pending(user)
    with open(analysis.photo.path, "wb") as handle:
        handle.write(b"garbage")
    services.analysis_process(analysis_id=analysis.id)
    analysis.refresh_from_db()
    assert analysis.status == "failed" and "could not be read" in analysis.error


def test_stale_work_is_failed_not_left_pending(signed_in, user):
    analysis = _pending(user)
    Analysis.objects.filter(id=analysis.id).update(created_at=timezone.now() - dt.timedelta(hours=2))
    body = signed_in.get(reverse("analysis:status"), {"ids": str(analysis.id)}).json()
    assert body["analyses"][0]["status"] == "failed"
    assert "did not finish in time" in body["analyses"][0]["error"]


def test_photo_not_kept_when_the_user_says_so(signed_in, user, _media_root, django_capture_on_commit_callbacks):
    services.user_keep_photos_set(user=user, keep=False)
    with django_capture_on_commit_callbacks(execute=True):
        analysis_id = post_photos(signed_in, upload("a.jpg", face_photo())).json()["results"][0]["id"]
    analysis = Analysis.objects.get(id=analysis_id)
    assert analysis.status == "done" and analysis.photo_discarded and not analysis.photo
    assert analysis.faces.count() == 1
    assert stored_files(_media_root) == []
    assert signed_in.get(reverse("analysis:photo", args=[analysis_id])).status_code == 404
    assert signed_in.get(reverse("analysis:annotated", args=[analysis_id])).status_code == 404
    assert "Photo not kept" in signed_in.get(reverse("analysis:detail", args=[analysis_id])).content.decode()


def test_owner_only_everywhere(client, user, make_user, django_capture_on_commit_callbacks):
    analysis = _pending(user)
    services.analysis_process(analysis_id=analysis.id)
    intruder = make_user(username="mallory")
    client.force_login(intruder)
    for name in ("detail", "photo", "thumbnail", "annotated"):
        assert client.get(reverse(f"analysis:{name}", args=[analysis.id])).status_code == 404, name
    assert client.post(reverse("analysis:delete", args=[analysis.id])).status_code == 404
    assert client.get(reverse("analysis:status"), {"ids": str(analysis.id)}).json()["analyses"] == []
    assert Analysis.objects.filter(id=analysis.id).exists()
    # The owner sees it.
    client.force_login(user)
    assert client.get(reverse("analysis:photo", args=[analysis.id])).status_code == 200


def test_no_public_media_urls(client, user, settings):
    analysis = _pending(user)
    client.force_login(user)
    assert client.get(f"/{settings.MEDIA_URL}{analysis.photo.name}").status_code == 404


def test_identifiers_are_not_sequential(user):
    a, b = _pending(user), _pending(user)
    assert str(a.id) != str(b.id) and "-" in str(a.id)
    assert a.photo.name.split("/")[-1] != "upload.jpg"


def test_delete_removes_rows_and_files(signed_in, user, _media_root, django_capture_on_commit_callbacks):
    analysis = _pending(user)
    services.analysis_process(analysis_id=analysis.id)
    assert len(stored_files(_media_root)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(reverse("analysis:delete", args=[analysis.id]))
    assert response.status_code == 302
    assert not Analysis.objects.filter(id=analysis.id).exists() and not Face.objects.exists()
    assert stored_files(_media_root) == []


def test_anonymous_users_are_sent_to_sign_in(client, user):
    analysis = _pending(user)
    for url in (reverse("analysis:analyze"), reverse("analysis:detail", args=[analysis.id]),
                reverse("analysis:photo", args=[analysis.id])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _pending(user) -> Analysis:
    from django.core.files.uploadedfile import SimpleUploadedFile

    checked = check_image(SimpleUploadedFile("a.jpg", face_photo(), content_type="image/jpeg"))
    return services.analysis_create(owner=user, image=checked)  # stored, never started
