"""Real and synthetic photos for the web tests, encoded in memory."""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@lru_cache(maxsize=1)
def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def encode(array: np.ndarray, fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def face_photo(fmt: str = "JPEG") -> bytes:
    return encode(astronaut(), fmt)


def blank_photo() -> bytes:
    return encode(np.full((240, 320, 3), 127, dtype=np.uint8))
