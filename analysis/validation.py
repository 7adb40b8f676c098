"""Upload checks shared by the pages and the API: every refusal has a code and a plain message.

The image is really decoded (Pillow) before anything is stored, with the pixel count checked
from the header first, so decompression bombs are refused without allocating their pixels.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class InvalidUpload(ValueError):
    """A refused upload; `code` is machine-readable (the API returns it), the message is for people."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    name: str
    format: str  # JPEG, PNG or WEBP
    extension: str
    width: int
    height: int


def _human(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} kB"


def check_image(upload: UploadedFile) -> CheckedImage:
    name = (upload.name or "upload").rsplit("/", 1)[-1][:255]
    limit = settings.FER_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise InvalidUpload("image_too_large", f"{name}: the file is over the {_human(limit)} limit.", 413)
    data = upload.read(limit + 1)
    if not data:
        raise InvalidUpload("empty_file", f"{name}: the file is empty.")
    if len(data) > limit:
        raise InvalidUpload("image_too_large", f"{name}: the file is over the {_human(limit)} limit.", 413)
    return check_image_bytes(data, name)


def check_image_bytes(data: bytes, name: str) -> CheckedImage:
    max_pixels = settings.FER_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format or ""
                if fmt not in ALLOWED_FORMATS:
                    message = f"{name}: {fmt or 'this'} images are not accepted; use JPEG, PNG or WebP."
                    raise InvalidUpload("unsupported_format", message, 415)
                width, height = image.size
                if width * height > max_pixels:
                    raise InvalidUpload(
                        "image_too_large",
                        f"{name}: {width}x{height} pixels is over the limit of {max_pixels / 1e6:.0f} megapixels.",
                        413,
                    )
                image.load()  # a full decode: truncated and corrupt files fail here
    except InvalidUpload:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidUpload("image_too_large", f"{name}: the image has far too many pixels.", 413) from None
    except UnidentifiedImageError:
        raise InvalidUpload("invalid_image", f"{name}: this is not an image file (JPEG, PNG or WebP).") from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidUpload("invalid_image", f"{name}: the image is corrupt or truncated and cannot be read.") from None
    return CheckedImage(data, name, fmt, ALLOWED_FORMATS[fmt], width, height)
