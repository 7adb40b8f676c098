"""Decoding images into RGB arrays, with every limit checked before pixels are decoded.

Two decoders, one set of rules:
- `decode_image`: uploaded photos (Pillow): EXIF orientation applied, any mode converted.
- `decode_jpeg_frame`: live video frames (OpenCV, faster for camera JPEGs, which carry no EXIF
  rotation); the size is read from the JPEG header first.
`inspect_image` runs the photo checks (format, pixel limit, a full decode) without keeping the
pixels: the web side checks uploads with it before storing them.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ml.messages import MessageError, gettext_noop

DEFAULT_MAX_PIXELS = 40_000_000
JPEG_MAGIC = b"\xff\xd8\xff"
NOT_AN_IMAGE = gettext_noop("this is not an image file")
T = TypeVar("T")


class ImageDecodeError(MessageError):
    """Bytes that are not an image we can read. `code` is machine-readable; the message is a plain
    sentence fragment ("the file is empty") that callers may prefix with the file name."""


@dataclass(frozen=True)
class ImageInfo:
    format: str  # Pillow's name: JPEG, PNG, WEBP, ...
    width: int
    height: int


def _too_many_pixels(width: int, height: int, max_pixels: int, code: str = "image_too_large") -> ImageDecodeError:
    return ImageDecodeError(code, gettext_noop("%(width)sx%(height)s pixels is over the limit of %(limit)s megapixels"),
                            width=width, height=height, limit=f"{max_pixels / 1e6:g}")


def _open(data: bytes, max_pixels: int, formats: Collection[str] | None, use: Callable[[Image.Image], T]) -> T:
    """Open, check and fully decode `data`, then return `use(image)`; every failure is an ImageDecodeError."""
    if not data:
        raise ImageDecodeError("empty_file", gettext_noop("the file is empty"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if formats is not None and image.format not in formats:
                    raise ImageDecodeError("unsupported_format", gettext_noop("%(format)s images are not accepted"),
                                           format=image.format or "these")
                width, height = image.size
                if width * height > max_pixels:
                    raise _too_many_pixels(width, height, max_pixels)
                image.load()  # a full decode: truncated and corrupt files fail here
                return use(image)
    except ImageDecodeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageDecodeError("image_too_large", gettext_noop("the image has far too many pixels")) from None
    except UnidentifiedImageError:
        raise ImageDecodeError("invalid_image", NOT_AN_IMAGE) from None
    except (OSError, SyntaxError, ValueError):
        raise ImageDecodeError("invalid_image",
                               gettext_noop("the image is corrupt or truncated and cannot be read")) from None


def inspect_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS,
                  formats: Collection[str] | None = None) -> ImageInfo:
    """Format and size of a fully decodable image within the limits (pixels are not kept)."""
    return _open(data, max_pixels, formats, lambda image: ImageInfo(image.format or "", *image.size))


def decode_image(source: bytes | str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """An (H, W, 3) uint8 RGB array, upright according to its EXIF orientation.

    Grey, palette, CMYK and alpha images are converted to RGB (alpha composited over white); images
    with more than 8 bits per sample (16-bit grey PNGs, 32-bit integer and float TIFFs) are scaled to
    8 bits first (`_to_8bit`).
    """
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    return _open(data, max_pixels, None, lambda image: _to_rgb(ImageOps.exif_transpose(image)))


# Nominal sample ranges, smallest first: a 32-bit integer or float image is read in the first one that holds all its
# samples (float images in 0..1 are the usual convention, integers may carry 8- or 16-bit data); anything else is
# stretched from its own minimum to its maximum.
_FLOAT_RANGES = ((0.0, 1.0), (0.0, 255.0), (0.0, 65535.0))
_INT_RANGES = ((0.0, 255.0), (0.0, 65535.0))


def _to_8bit(image: Image.Image) -> Image.Image:
    """An 8-bit grey ("L") copy of an I;16*, I or F image; other modes are returned as they are.

    Pillow's own conversion of these modes clips every sample above 255, so a 16-bit photo came out
    almost white and its faces were lost.
    """
    if image.mode.startswith("I;16"):
        low, high = 0.0, 65535.0  # 16-bit samples: 65535 / 257 = 255 exactly
        samples = np.asarray(image).astype(np.float64)
    elif image.mode in ("I", "F"):
        samples = np.asarray(image).astype(np.float64)
        finite = samples[np.isfinite(samples)]
        samples = np.where(np.isfinite(samples), samples, 0.0)
        smallest, largest = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        ranges = _FLOAT_RANGES if image.mode == "F" else _INT_RANGES
        low, high = next(((lo, hi) for lo, hi in ranges if lo <= smallest and largest <= hi), (smallest, largest))
    else:
        return image
    scaled = (samples - low) * (255.0 / (high - low)) if high > low else np.zeros_like(samples)
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), "L")


def _to_rgb(image: Image.Image) -> np.ndarray:
    image = _to_8bit(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("RGB"))


def decode_jpeg_frame(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """An (H, W, 3) uint8 RGB array from a camera frame's JPEG bytes."""
    import cv2

    if not data.startswith(JPEG_MAGIC):
        raise ImageDecodeError("not_jpeg", gettext_noop("frames must be JPEG images"))
    try:
        with Image.open(io.BytesIO(data)) as header:  # reads the header only
            width, height = header.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageDecodeError("invalid_frame",
                               gettext_noop("the frame could not be decoded as a JPEG image")) from None
    if width * height > max_pixels:
        raise _too_many_pixels(width, height, max_pixels, code="frame_too_large")
    frame = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise ImageDecodeError("invalid_frame", gettext_noop("the frame could not be decoded as a JPEG image"))
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def rgb_to_gray(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, as OpenCV and FER2013's grey faces use."""
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
