"""Every Pillow image mode decodes to the RGB a person sees: images with more than 8 bits per sample
(16-bit grey PNGs, 32-bit integer and float TIFFs) are scaled, not clipped to white."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ml.serving.images import decode_image
from ml.serving.pipeline import analyse_photo
from tests.ml.conftest import encode


@pytest.fixture(scope="module")
def grey(astronaut) -> np.ndarray:
    return np.asarray(Image.fromarray(astronaut).convert("L"))


def _wide(grey: np.ndarray, mode: str) -> tuple[Image.Image, str]:
    """The grey astronaut in `mode`, with the same picture as the 8-bit copy, and a format that stores it."""
    height, width = grey.shape
    samples = grey.astype(np.float64)
    if mode == "I;16":
        return Image.fromarray((samples * 257).astype(np.uint16)), "PNG"  # a 16-bit greyscale PNG
    if mode == "I;16B":
        return Image.frombytes("I;16B", (width, height), (samples * 257).astype(">u2").tobytes()), "TIFF"
    if mode == "I":
        return Image.fromarray((samples * 257).astype(np.int32)), "TIFF"  # 16-bit data in 32-bit samples
    if mode == "I (8-bit data)":
        return Image.fromarray(samples.astype(np.int32)), "TIFF"
    if mode == "F":
        return Image.fromarray((samples / 255).astype(np.float32)), "TIFF"  # the usual 0..1 floats
    if mode == "F (0-255)":
        return Image.fromarray(samples.astype(np.float32)), "TIFF"
    if mode == "F (-1..1)":
        return Image.fromarray((samples / 127.5 - 1).astype(np.float32)), "TIFF"  # stretched from its own range
    raise AssertionError(mode)


WIDE_MODES = ["I;16", "I;16B", "I", "I (8-bit data)", "F", "F (0-255)", "F (-1..1)"]


@pytest.mark.parametrize("mode", WIDE_MODES)
def test_wide_modes_decode_like_the_8_bit_copy(grey, mode: str):
    image, fmt = _wide(grey, mode)
    data = encode(image, fmt)
    assert Image.open(io.BytesIO(data)).mode == mode.split(" ")[0]  # the file really is that mode

    rgb = decode_image(data)

    assert rgb.shape == (*grey.shape, 3) and rgb.dtype == np.uint8
    assert np.abs(rgb.astype(int) - grey[..., None].astype(int)).max() <= 1


@pytest.mark.parametrize("mode", ["I;16", "I", "F"])
def test_wide_modes_find_the_face(tiny_models: str, grey, mode: str):
    image, fmt = _wide(grey, mode)

    assert len(analyse_photo(encode(image, fmt), model=tiny_models).faces) == 1


def test_blank_float_image_is_black_not_an_error():
    flat = Image.fromarray(np.full((8, 8), 7.5, dtype=np.float32))

    assert decode_image(encode(flat, "TIFF")).max() <= 255


def test_not_a_number_samples_are_black():
    samples = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    samples[0, 0], samples[0, 1] = np.nan, np.inf
    rgb = decode_image(encode(Image.fromarray(samples), "TIFF"))

    assert rgb[0, 0].tolist() == [0, 0, 0] and rgb[0, 1].tolist() == [0, 0, 0]
    assert rgb[7, 7].tolist() == [255, 255, 255]


# Modes a file can hold, each with a format that stores it as such.
EIGHT_BIT_MODES = {"1": "PNG", "L": "PNG", "P": "PNG", "LA": "PNG", "RGBA": "PNG", "CMYK": "TIFF",
                   "YCbCr": "TIFF", "LAB": "TIFF"}


@pytest.mark.parametrize("mode", EIGHT_BIT_MODES)
def test_8_bit_modes_keep_the_picture(astronaut, mode: str):
    expected = np.asarray(Image.fromarray(astronaut).convert("L"), dtype=float)
    data = encode(Image.fromarray(astronaut).convert(mode), EIGHT_BIT_MODES[mode])
    assert Image.open(io.BytesIO(data)).mode == mode

    grey = np.asarray(Image.fromarray(decode_image(data)).convert("L"), dtype=float)

    # Bilevel and palette images lose detail by design; the picture stays (no white-out or black-out).
    assert abs(grey.mean() - expected.mean()) < 12
