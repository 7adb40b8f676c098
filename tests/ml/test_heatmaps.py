"""Grad-CAM heatmaps and classifying stored boxes with several models, on the shipped models and a real photo."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ml.emotions import EMOTIONS
from ml.faces import faces_to_input
from ml.serving import heatmaps, registry
from ml.serving.pipeline import PHOTO_FLIP, analyse_photo, classify_boxes, face_crops


@pytest.fixture(scope="module")
def two_faces() -> np.ndarray:
    from skimage import data

    return np.hstack([data.astronaut(), data.astronaut()[:, ::-1]])


@pytest.fixture(scope="module")
def result(two_faces):
    return analyse_photo(two_faces, model="fast", also=("vgg16", "resnet50"))


def test_other_models_classify_the_same_crops(two_faces, result):
    assert len(result.faces) == 2 and set(result.also) == {"vgg16", "resnet50"}
    crops = face_crops(two_faces, [f.box for f in result.faces], result.detector)
    for name, probabilities in result.also.items():
        assert probabilities.shape == (2, 7)
        expected = registry.get_classifier(name).predict_proba(crops, flip=PHOTO_FLIP)
        np.testing.assert_allclose(probabilities, expected, atol=1e-6)


def test_classifying_stored_boxes_again_gives_the_analysis_own_numbers(two_faces, result):
    boxes = [f.box for f in result.faces]
    again = classify_boxes(two_faces, boxes, detector=result.detector, models=["fast", "vgg16"])
    np.testing.assert_allclose(again["fast"], np.stack([f.probabilities for f in result.faces]), atol=1e-6)
    np.testing.assert_allclose(again["vgg16"], result.also["vgg16"], atol=1e-6)


def test_an_unknown_model_fails_before_any_work(two_faces):
    with pytest.raises(registry.UnknownModelError):
        classify_boxes(two_faces, [], detector="haar", models=["fast", "vgg99"])


@pytest.mark.parametrize("model", ["fast", "vgg16", "resnet50"])
def test_grad_cam_explains_the_served_class_and_equals_cam_for_a_pooled_head(two_faces, result, model):
    crop = face_crops(two_faces, [result.faces[0].box], result.detector)[0]
    heatmap = heatmaps.explain(crop, model)
    served = registry.get_classifier(model).predict_proba(crop[None])[0]
    assert heatmap.emotion == EMOTIONS[int(np.argmax(served))]
    assert heatmap.cam.shape == (48, 48) and heatmap.cam.min() >= 0 and heatmap.cam.max() == pytest.approx(1.0)

    # With global average pooling then one dense layer, Grad-CAM's channel weights are the dense kernel's
    # column for the class (Zhou et al.'s CAM): computed here from the weights, without any gradient.
    import cv2
    import keras

    explainer = heatmaps._explainer(model)
    features, _ = explainer.graph([faces_to_input(crop[None], explainer.spec)], training=False)
    kernel = keras.ops.convert_to_numpy(explainer.kernel)[:, EMOTIONS.index(heatmap.emotion)]
    cam = np.maximum(keras.ops.convert_to_numpy(features)[0] @ kernel, 0).astype(np.float32)
    cam = cv2.resize(cam, (48, 48), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(heatmap.cam, cam / cam.max(), atol=1e-4)
    assert heatmap.feature_size == features.shape[1] and heatmap.feature_size < 48


def test_the_map_depends_on_the_face(two_faces, result):
    crop = face_crops(two_faces, [result.faces[0].box], result.detector)[0]
    flat = np.full((48, 48), 128, np.uint8)
    assert not np.allclose(heatmaps.explain(crop, "fast").cam, heatmaps.explain(flat, "fast").cam, atol=0.05)


def test_overlay_is_a_png_of_the_crop_with_the_map(two_faces, result):
    crop = face_crops(two_faces, [result.faces[0].box], result.detector)[0]
    cam = np.zeros((48, 48), np.float32)
    cam[:24] = 1.0  # hot top half, cold bottom half
    image = Image.open(io.BytesIO(heatmaps.overlay_png(crop, cam)))
    assert image.format == "PNG" and image.size == (heatmaps.DISPLAY_SIZE, heatmaps.DISPLAY_SIZE)
    pixels = np.asarray(image.convert("RGB")).astype(int)
    top, bottom = pixels[: heatmaps.DISPLAY_SIZE // 3], pixels[-heatmaps.DISPLAY_SIZE // 3:]
    assert (top[..., 0] - top[..., 2]).mean() > 40  # red where the map is 1
    assert (bottom[..., 2] - bottom[..., 0]).mean() > 40  # blue where it is 0


def test_boxes_stored_without_landmarks_get_them_back(two_faces):
    from ml.faces import Box
    from ml.serving.pipeline import stored_face_crops

    boxes = [f.box for f in analyse_photo(two_faces, model="fast", detector="blazeface").faces]
    assert len(boxes) == 2 and all(box.landmarks for box in boxes)
    bare = [Box(b.x, b.y, b.w, b.h, b.score) for b in boxes]
    exact = face_crops(two_faces, boxes, "blazeface")
    assert not np.array_equal(face_crops(two_faces, bare, "blazeface"), exact)  # alignment changes the crop
    np.testing.assert_array_equal(stored_face_crops(two_faces, bare, "blazeface"), exact)
    np.testing.assert_array_equal(stored_face_crops(two_faces, boxes, "blazeface"), exact)


def test_an_ensembles_map_is_its_members_maps_weighted(two_faces, result, tmp_path, monkeypatch):
    from .conftest import write_ensemble_record

    monkeypatch.setenv("FER_MODELS_DIR", str(tmp_path))
    write_ensemble_record(tmp_path, "fast+vgg16", ["fast", "vgg16"], weights={"fast": 0.25, "vgg16": 0.75})
    crop = face_crops(two_faces, [result.faces[1].box], result.detector)[0]
    heatmap = heatmaps.explain(crop, "fast+vgg16")
    served = registry.get_classifier("fast+vgg16").predict_proba(crop[None])[0]
    index = int(np.argmax(served))
    assert heatmap.emotion == EMOTIONS[index]
    maps = {m: heatmaps._explainer(m).class_map(crop, index) for m in ("fast", "vgg16")}
    mixed = 0.25 * maps["fast"] / maps["fast"].max() + 0.75 * maps["vgg16"] / maps["vgg16"].max()
    np.testing.assert_allclose(heatmap.cam, mixed / mixed.max(), atol=1e-5)
    assert not np.allclose(heatmap.cam, heatmaps.explain(crop, "vgg16").cam, atol=0.02)
