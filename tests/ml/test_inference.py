from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ml.predict import main as predict_main
from ml.serving.detection import UnknownDetectorError, get_detector
from ml.serving.images import ImageDecodeError, decode_image, decode_jpeg_frame
from ml.serving.pipeline import analyse_frame
from ml.serving.pipeline import analyse_photo as predict
from ml.serving.registry import UnknownModelError
from tests.ml.conftest import encode


def _assert_valid_face(face, width: int, height: int) -> None:
    probabilities = face.to_dict()["probabilities"]
    assert list(probabilities) == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert face.probabilities.shape == (7,)
    assert abs(float(face.probabilities.sum()) - 1.0) < 1e-4
    assert face.emotion == max(probabilities, key=probabilities.get)
    assert face.confidence == float(face.probabilities.max())
    assert 0 <= face.box.x < width and 0 <= face.box.y < height
    assert face.box.x + face.box.w <= width and face.box.y + face.box.h <= height


def test_real_photo_one_face_seven_probabilities(tiny_models: str, astronaut):
    result = predict(encode(astronaut), model=tiny_models)
    assert len(result.faces) == 1
    _assert_valid_face(result.faces[0], 512, 512)
    box = result.faces[0].box
    # The astronaut's face is in the upper middle of the photo.
    assert 150 < box.x + box.w / 2 < 280 and 60 < box.y + box.h / 2 < 200
    assert {"decode", "detect", "classify", "total"} <= result.timings_ms.keys()


def test_flip_average_still_sums_to_one(tiny_models: str, astronaut):
    face = predict(astronaut, model=tiny_models, flip=True).faces[0]
    assert abs(float(face.probabilities.sum()) - 1.0) < 1e-4


def test_many_faces_are_classified_together(tiny_models: str, astronaut):
    grid = np.concatenate([np.concatenate([astronaut, astronaut], axis=1)] * 2, axis=0)
    result = predict(encode(grid), model=tiny_models)
    assert len(result.faces) == 4
    for face in result.faces:
        _assert_valid_face(face, 1024, 1024)


def test_no_face_is_an_empty_result(tiny_models: str):
    blank = np.full((480, 640, 3), 127, dtype=np.uint8)
    assert predict(encode(blank), model=tiny_models).faces == []


def test_tiny_image_is_an_empty_result(tiny_models: str):
    assert predict(encode(np.zeros((3, 3, 3), dtype=np.uint8), "PNG"), model=tiny_models).faces == []


@pytest.mark.parametrize("mode", ["L", "RGBA", "P"])
def test_other_colour_modes(tiny_models: str, astronaut, mode: str):
    image = Image.fromarray(astronaut).convert(mode)
    assert len(predict(encode(image, "PNG"), model=tiny_models).faces) == 1


def test_exif_rotation_is_applied(tiny_models: str, astronaut):
    # Store the photo rotated on its side with an EXIF tag saying how to turn it upright.
    sideways = Image.fromarray(np.rot90(astronaut, k=1).copy())
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": undoes the 90 CCW turn above
    upright = decode_image(encode(sideways, "JPEG", exif=exif))
    assert upright.shape == astronaut.shape
    assert len(predict(encode(sideways, "JPEG", exif=exif), model=tiny_models).faces) == 1


def test_corrupt_truncated_and_empty_files_are_refused(astronaut):
    jpeg = encode(astronaut)
    with pytest.raises(ImageDecodeError, match="not an image"):
        decode_image(b"this is not an image at all")
    with pytest.raises(ImageDecodeError, match="corrupt or truncated"):
        decode_image(jpeg[: len(jpeg) // 2])
    with pytest.raises(ImageDecodeError, match="empty"):
        decode_image(b"")


def test_pixel_limit_refuses_before_decoding():
    huge = encode(np.zeros((2000, 3000, 3), dtype=np.uint8), "PNG")
    with pytest.raises(ImageDecodeError, match="3000x2000 pixels is over the limit of 1 megapixels"):
        decode_image(huge, max_pixels=1_000_000)


def test_huge_photo_is_downscaled_for_detection(tiny_models: str, astronaut):
    big = np.asarray(Image.fromarray(astronaut).resize((3000, 3000)))
    result = predict(big, model=tiny_models)
    assert len(result.faces) == 1
    assert result.faces[0].box.w > 400  # boxes are in the original photo's pixels


def test_unknown_model_and_detector(tiny_models: str, astronaut):
    with pytest.raises(UnknownModelError, match="unknown model 'nope'; available: .*tiny"):
        predict(astronaut, model="nope")
    with pytest.raises(UnknownDetectorError, match="choose one of blazeface, haar, mtcnn"):
        get_detector("yolo")


def test_mtcnn_finds_the_face(astronaut):
    boxes = get_detector("mtcnn").detect(astronaut)
    assert len(boxes) == 1 and boxes[0].score > 0.9


def test_predict_cli_json_several_photos(tiny_models: str, astronaut, tmp_path, capsys):
    one, blank = tmp_path / "a.jpg", tmp_path / "blank.png"
    one.write_bytes(encode(astronaut))
    blank.write_bytes(encode(np.full((60, 80, 3), 127, dtype=np.uint8), "PNG"))
    assert predict_main([str(one), str(blank), "--model", tiny_models, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"model", "detector"} <= result["load_ms"].keys()
    first, second = result["photos"]
    assert first["path"] == str(one) and len(first["faces"]) == 1
    face = first["faces"][0]
    assert {"box", "probabilities", "emotion", "confidence"} <= face.keys()
    assert abs(sum(face["probabilities"].values()) - 1.0) < 1e-3
    # Each photo's total is its own analysis, not the model loading that happened before it.
    assert first["timings_ms"]["total"] < result["load_ms"]["model"] + first["timings_ms"]["total"]
    assert second["path"] == str(blank) and second["faces"] == []


def test_predict_cli_bad_file_among_good_ones(tiny_models: str, astronaut, tmp_path, capsys):
    good, bad = tmp_path / "good.jpg", tmp_path / "bad.jpg"
    good.write_bytes(encode(astronaut))
    bad.write_bytes(b"\xff\xd8garbage")
    assert predict_main([str(bad), str(good), str(tmp_path / "missing.jpg"), "--model", tiny_models, "--json"]) == 2
    photos = json.loads(capsys.readouterr().out)["photos"]
    assert "corrupt" in photos[0]["error"] or "not an image" in photos[0]["error"]
    assert len(photos[1]["faces"]) == 1
    assert photos[2]["error"] == "no such file"


def test_frames_and_photos_share_one_pipeline(tiny_models: str, astronaut):
    jpeg = encode(astronaut)
    frame, photo = analyse_frame(jpeg, model=tiny_models), predict(jpeg, model=tiny_models, flip=False)
    assert [f.box for f in frame.faces] == [f.box for f in photo.faces]
    np.testing.assert_allclose(frame.faces[0].probabilities, photo.faces[0].probabilities, atol=0.02)


def test_photos_are_averaged_with_their_mirror_image_by_default(tiny_models: str, astronaut):
    jpeg = encode(astronaut)
    served, mirrored, single = (predict(jpeg, model=tiny_models, **kw).faces[0].probabilities
                                for kw in ({}, {"flip": True}, {"flip": False}))
    np.testing.assert_array_equal(served, mirrored)
    assert not np.array_equal(served, single)


def test_frames_must_be_jpeg_within_the_pixel_limit(astronaut):
    with pytest.raises(ImageDecodeError) as not_jpeg:
        decode_jpeg_frame(encode(astronaut, "PNG"))
    assert not_jpeg.value.code == "not_jpeg"
    with pytest.raises(ImageDecodeError) as too_large:
        decode_jpeg_frame(encode(astronaut), max_pixels=100_000)
    assert too_large.value.code == "frame_too_large"
    with pytest.raises(ImageDecodeError) as broken:
        decode_jpeg_frame(b"\xff\xd8\xff" + b"\x00" * 50)
    assert broken.value.code == "invalid_frame"


def test_uncertain_follows_the_threshold_and_survives_the_channel_layer():
    from ml.faces import Box
    from ml.serving.pipeline import FaceResult, ImageResult

    confident = np.array([0.05, 0, 0, 0.8, 0.05, 0.05, 0.05], dtype=np.float32)
    doubtful = np.array([0.2, 0.1, 0.1, 0.3, 0.1, 0.1, 0.1], dtype=np.float32)
    faces = [FaceResult(Box(0, 0, 10, 10), p, uncertain_below=0.5) for p in (confident, doubtful)]
    assert [f.uncertain for f in faces] == [False, True]
    assert FaceResult(Box(0, 0, 10, 10), doubtful).uncertain is False  # no calibration: never uncertain
    # Tracking smooths the probabilities the label is read from; the flag follows them.
    assert faces[1].tracked(1, confident).uncertain is False
    back = ImageResult.from_dict(ImageResult(faces, 20, 20, "fast", "haar").to_dict())
    assert [f.uncertain for f in back.faces] == [False, True]
    assert [f["uncertain"] for f in ImageResult(faces, 20, 20, "fast", "haar").to_dict()["faces"]] == [False, True]
