"""Several models on the same faces (`models=` at upload, and comparing later) and the heatmap endpoint:
predictions checked against the models run directly, refusals, ownership, caching and deletion."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from analysis.core import dispatch, explain, heatmaps
from analysis.core.choices import model_names
from analysis.core.tasks import face_heatmap
from analysis.models import Analysis, Face
from ml.emotions import EMOTIONS
from ml.serving.pipeline import analyse_photo
from tests.analysis_factories import make_analysis
from tests.api.conftest import assert_error
from tests.photos import astronaut, encode, upload

pytestmark = pytest.mark.django_db
LIST = "/api/v1/analyses/"


@lru_cache(maxsize=1)
def two_face_photo() -> bytes:
    """Two people: the astronaut and her mirror image side by side."""
    return encode(np.hstack([astronaut(), astronaut()[:, ::-1]]))


def post(api, **fields):
    return api.post(LIST, {"image": upload("two.jpg", two_face_photo()), "wait": "true", **fields},
                    format="multipart")


def heatmap_url(analysis_id, index: int) -> str:
    return f"{LIST}{analysis_id}/faces/{index}/heatmap.png"


def as_vector(probabilities: dict) -> np.ndarray:
    return np.array([probabilities[e] for e in EMOTIONS])


# --- models= at upload ------------------------------------------------------------------------------


def test_each_face_carries_every_asked_models_prediction_on_the_same_crop(api):
    response = post(api, models="vgg16,resnet50")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["model"] == "fast" and body["models"] == ["vgg16", "resnet50"] and body["compare_status"] == "done"
    assert body["face_count"] == 2
    for name in ("vgg16", "resnet50"):
        # The same photo analysed with that model as the main one: the same detection, so the same crops.
        direct = analyse_photo(two_face_photo(), model=name, detector=body["detector"])
        assert len(direct.faces) == 2
        for face, expected in zip(body["faces"], direct.faces, strict=True):
            predicted = face["predictions"][name]
            np.testing.assert_allclose(as_vector(predicted["probabilities"]), expected.probabilities, atol=1e-3)
            assert predicted["emotion"] == expected.emotion
            assert predicted["confidence"] == pytest.approx(expected.confidence, abs=1e-3)
    for face in body["faces"]:  # the main result is still the analysis's own model
        assert set(face["predictions"]) == {"vgg16", "resnet50"}
        assert face["emotion"] == max(face["probabilities"], key=face["probabilities"].get)


def test_the_analysis_own_model_among_models_repeats_its_main_result(api):
    body = post(api, model="fast", models="fast,vgg16,fast").json()
    assert body["models"] == ["fast", "vgg16"]
    for face in body["faces"]:
        own = face["predictions"]["fast"]
        np.testing.assert_allclose(as_vector(own["probabilities"]), as_vector(face["probabilities"]), atol=1e-4)
        assert own["emotion"] == face["emotion"]


def test_all_means_every_available_model(api):
    body = post(api, models="all").json()
    assert body["models"] == model_names() and len(body["models"]) >= 3
    assert all(set(face["predictions"]) == set(model_names()) for face in body["faces"])


def test_without_models_faces_have_no_other_predictions(api):
    body = post(api).json()
    assert body["models"] == [] and body["compare_status"] == ""
    assert body["faces"] and all(face["predictions"] == {} for face in body["faces"])


@pytest.mark.parametrize("value", ["vgg16,vgg99", "vgg99", "vgg16, resnet50", "vgg16,", ",vgg16", "VGG16"])
def test_bad_model_names_are_refused_and_nothing_is_stored(api, value):
    error = assert_error(post(api, models=value), 400, "unknown_model")
    assert "vgg16" in error["message"]  # the message lists what may be asked for
    assert not Analysis.objects.exists()


def test_batch_takes_models_for_every_file_and_refuses_bad_names(api):
    files = [upload("a.jpg", two_face_photo()), upload("b.jpg", two_face_photo())]
    assert_error(api.post(f"{LIST}batch/", {"images": files, "models": "vgg99"}, format="multipart"), 400,
                 "unknown_model")
    assert not Analysis.objects.exists()
    files = [upload("a.jpg", two_face_photo()), upload("b.jpg", two_face_photo())]
    body = api.post(f"{LIST}batch/", {"images": files, "models": "vgg16", "wait": "true"}, format="multipart").json()
    assert [r["analysis"]["models"] for r in body["results"]] == [["vgg16"], ["vgg16"]]
    assert all("vgg16" in f["predictions"] for r in body["results"] for f in r["analysis"]["faces"])


# --- comparing later, on the stored photo -------------------------------------------------------------


def test_comparing_later_gives_what_models_at_upload_gives(api, user, django_capture_on_commit_callbacks):
    at_upload = post(api, models="vgg16").json()
    later = Analysis.objects.get(id=post(api).json()["id"])
    Face.objects.filter(analysis=later).update(landmarks=None)  # as analysed before landmarks were kept
    with django_capture_on_commit_callbacks(execute=True):
        explain.compare_start(owner=user, analysis=later, models="vgg16")  # eager: done after commit
    body = api.get(f"{LIST}{later.id}/").json()
    assert body["compare_status"] == "done" and body["models"] == ["vgg16"]
    for face, reference in zip(body["faces"], at_upload["faces"], strict=True):
        np.testing.assert_allclose(as_vector(face["predictions"]["vgg16"]["probabilities"]),
                                   as_vector(reference["predictions"]["vgg16"]["probabilities"]), atol=1e-4)


def test_comparing_needs_the_photo_and_a_done_analysis(user, bob):
    from fer_site.errors import ServiceError

    with pytest.raises(ServiceError) as refused:
        explain.compare_start(owner=user, analysis=make_analysis(user, faces=["happy"]))
    assert refused.value.code == "photo_not_kept"
    with pytest.raises(ServiceError) as refused:
        explain.compare_start(owner=user, analysis=make_analysis(user, faces=[], photo=True, status="pending"))
    assert refused.value.code == "not_ready"
    with pytest.raises(ServiceError) as refused:
        explain.compare_start(owner=user, analysis=make_analysis(bob, faces=["happy"], photo=True))
    assert refused.value.status == 404
    assert not Analysis.objects.exclude(compare_status="").exists()


# --- heatmaps -----------------------------------------------------------------------------------------


def png(response) -> Image.Image:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


def test_heatmap_is_the_models_map_over_that_faces_crop_and_is_cached(api, settings):
    body = post(api).json()
    image = png(api.get(heatmap_url(body["id"], 1), {"model": "vgg16"}))
    assert image.format == "PNG" and image.size == (192, 192)

    # Drawn from the photo directly, with the ml package alone: the second face, the vgg16 map.
    from ml.serving.heatmaps import explain as grad_cam
    from ml.serving.heatmaps import overlay_png
    from ml.serving.pipeline import decode_photo, face_crops

    faces = analyse_photo(two_face_photo(), model="vgg16", detector=body["detector"]).faces
    crop = face_crops(decode_photo(two_face_photo()), [faces[1].box], body["detector"])[0]
    expected = Image.open(io.BytesIO(overlay_png(crop, grad_cam(crop, "vgg16").cam)))
    assert np.abs(np.asarray(image, dtype=int) - np.asarray(expected, dtype=int)).mean() < 1.0
    other_face = png(api.get(heatmap_url(body["id"], 0), {"model": "vgg16"}))
    assert np.abs(np.asarray(other_face, dtype=int) - np.asarray(expected, dtype=int)).mean() > 1.0

    cache = Path(settings.MEDIA_ROOT) / heatmaps.cache_name(body["id"], 1, "vgg16")
    assert cache.read_bytes() == api.get(heatmap_url(body["id"], 1), {"model": "vgg16"}).content
    cache.write_bytes(b"cached")  # a second request reads the cache, it does not compute again
    assert api.get(heatmap_url(body["id"], 1), {"model": "vgg16"}).content == b"cached"


def test_heatmap_default_model_is_the_analysis_own(api, settings):
    body = post(api, model="vgg16").json()
    api.get(heatmap_url(body["id"], 0))
    assert (Path(settings.MEDIA_ROOT) / heatmaps.cache_name(body["id"], 0, "vgg16")).is_file()


def test_another_users_heatmap_is_not_found_and_not_computed(api, bob_api, settings):
    body = post(api).json()
    assert_error(bob_api.get(heatmap_url(body["id"], 0), {"model": "fast"}), 404, "not_found")
    assert_error(bob_api.get(heatmap_url(body["id"], 0), {"model": "vgg99"}), 404, "not_found")
    assert not (Path(settings.MEDIA_ROOT) / "heatmaps").exists()
    png(api.get(heatmap_url(body["id"], 0), {"model": "fast"}))  # the owner gets it


def test_heatmap_refusals(api, user, settings):
    body = post(api).json()
    error = assert_error(api.get(heatmap_url(body["id"], 0), {"model": "vgg99"}), 400, "unknown_model")
    assert "vgg16" in error["message"]
    assert_error(api.get(heatmap_url(body["id"], 2)), 404, "not_found")  # two faces: 0 and 1
    assert_error(api.get(heatmap_url(body["id"], 0), HTTP_ACCEPT="image/png", data={"model": "x y"}), 400,
                 "unknown_model")
    assert not (Path(settings.MEDIA_ROOT) / "heatmaps").exists()
    png(api.get(heatmap_url(body["id"], 0), {"model": ""}))  # empty: the analysis's own model
    not_kept = make_analysis(user, faces=["happy"])
    assert_error(api.get(heatmap_url(not_kept.id, 0)), 404, "photo_not_kept")
    pending = make_analysis(user, faces=["happy"], photo=True, status="pending")
    assert_error(api.get(heatmap_url(pending.id, 0)), 404, "not_found")


def test_heatmaps_go_with_the_analysis(api, settings, django_capture_on_commit_callbacks):
    body = post(api).json()
    png(api.get(heatmap_url(body["id"], 0), {"model": "fast"}))
    folder = (Path(settings.MEDIA_ROOT) / heatmaps.cache_name(body["id"], 0, "fast")).parent
    assert folder.is_dir()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"{LIST}{body['id']}/").status_code == 204
    assert not folder.exists()


def test_heatmaps_go_with_the_photo_when_photos_are_not_kept(api, user, settings,
                                                            django_capture_on_commit_callbacks):
    body = post(api).json()
    png(api.get(heatmap_url(body["id"], 0), {"model": "fast"}))
    folder = (Path(settings.MEDIA_ROOT) / heatmaps.cache_name(body["id"], 0, "fast")).parent
    user.keep_photos = False
    user.save()
    from analysis.core.services import analysis_discard_unkept_photos

    with django_capture_on_commit_callbacks(execute=True):
        assert analysis_discard_unkept_photos() == 1
    assert not folder.exists()
    assert_error(api.get(heatmap_url(body["id"], 0), {"model": "fast"}), 404, "photo_not_kept")


def test_heatmap_with_celery_waits_for_the_worker_or_answers_busy(api, settings, monkeypatch):
    body = post(api).json()
    settings.FER_TASK_MODE = "celery"
    monkeypatch.setattr(face_heatmap, "apply_async", lambda args, **kwargs: None)  # no worker takes it
    monkeypatch.setattr(dispatch, "HEATMAP_WAIT_S", 0.3)
    response = api.get(heatmap_url(body["id"], 0), {"model": "fast"})
    assert_error(response, 503, "busy")
    assert response["Retry-After"]
    monkeypatch.setattr(face_heatmap, "apply_async", lambda args, **kwargs: face_heatmap.run(*args))
    png(api.get(heatmap_url(body["id"], 0), {"model": "fast"}))


def test_a_comparison_whose_worker_vanished_fails_instead_of_waiting_forever(api, user, settings, monkeypatch,
                                                                            django_capture_on_commit_callbacks):
    from django.utils import timezone

    from analysis.core.services import analysis_sweep
    from analysis.core.tasks import compare_faces

    analysis = Analysis.objects.get(id=post(api).json()["id"])
    settings.FER_TASK_MODE = "celery"
    queued = []
    monkeypatch.setattr(compare_faces, "apply_async", lambda args, **kwargs: queued.append(args))  # never run
    with django_capture_on_commit_callbacks(execute=True):
        explain.compare_start(owner=user, analysis=analysis, models="vgg16")
    assert queued == [[str(analysis.id)]]
    assert api.get(f"{LIST}{analysis.id}/").json()["compare_status"] == "pending"
    analysis_sweep()
    assert api.get(f"{LIST}{analysis.id}/").json()["compare_status"] == "pending"  # not stale yet
    Analysis.objects.filter(pk=analysis.pk).update(
        compare_requested_at=timezone.now() - timezone.timedelta(seconds=settings.FER_ANALYSIS_TIMEOUT_SECONDS + 1))
    analysis_sweep()
    body = api.get(f"{LIST}{analysis.id}/").json()
    assert body["compare_status"] == "failed" and all(f["predictions"] == {} for f in body["faces"])
