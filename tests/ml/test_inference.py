from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ml.detection import UnknownDetectorError, get_detector
from ml.images import ImageDecodeError, decode_image
from ml.inference import predict
from ml.predict import main as predict_main
from ml.registry import UnknownModelError
from tests.ml.conftest import encode


def _assert_valid_face(face, width: int, height: int) -> None:
    assert list(face.probabilities) == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert abs(sum(face.probabilities.values()) - 1.0) < 1e-4
    assert face.emotion == max(face.probabilities, key=face.probabilities.get)
    assert face.confidence == face.probabilities[face.emotion]
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
    assert abs(sum(face.probabilities.values()) - 1.0) < 1e-4


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
    with pytest.raises(ImageDecodeError, match="6,000,000 pixels; the limit is 1,000,000"):
        decode_image(huge, max_pixels=1_000_000)


def test_huge_photo_is_downscaled_for_detection(tiny_models: str, astronaut):
    big = np.asarray(Image.fromarray(astronaut).resize((3000, 3000)))
    result = predict(big, model=tiny_models)
    assert len(result.faces) == 1
    assert result.faces[0].box.w > 400  # boxes are in the original photo's pixels


def test_unknown_model_and_detector(tiny_models: str, astronaut):
    with pytest.raises(UnknownModelError, match="unknown model 'nope'; available: .*tiny"):
        predict(astronaut, model="nope")
    with pytest.raises(UnknownDetectorError, match="choose one of haar, mtcnn"):
        get_detector("yolo")


def test_mtcnn_finds_the_face(astronaut):
    boxes = get_detector("mtcnn").detect(astronaut)
    assert len(boxes) == 1 and boxes[0].score > 0.9


def test_predict_cli_json(tiny_models: str, astronaut, tmp_path, capsys):
    path = tmp_path / "a.jpg"
    path.write_bytes(encode(astronaut))
    assert predict_main([str(path), "--model", tiny_models, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["faces"]) == 1
    face = result["faces"][0]
    assert {"box", "probabilities", "emotion", "confidence"} <= face.keys()
    assert abs(sum(face["probabilities"].values()) - 1.0) < 1e-3


def test_predict_cli_bad_file(tmp_path, capsys):
    path = tmp_path / "bad.jpg"
    path.write_bytes(b"\xff\xd8garbage")
    assert predict_main([str(path)]) == 2
    assert "error:" in capsys.readouterr().err
