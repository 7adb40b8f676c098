"""Decoding photos into RGB arrays: EXIF orientation applied, any mode converted, limits kept."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 40_000_000


class ImageDecodeError(ValueError):
    """The bytes are not an image we can read (corrupt, truncated, unknown format, too large)."""


def decode_image(source: bytes | str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Return an (H, W, 3) uint8 RGB array, upright according to its EXIF orientation.

    Grey, palette, CMYK and alpha images are converted to RGB (alpha composited over white).
    Images over `max_pixels` are refused before their pixels are decoded.
    """
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    if not data:
        raise ImageDecodeError("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageDecodeError(
                        f"the image is {width}x{height} = {width * height:,} pixels; the limit is {max_pixels:,}"
                    )
                image.load()
                image = ImageOps.exif_transpose(image)
                return _to_rgb(image)
    except ImageDecodeError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageDecodeError("the file is not an image in a supported format") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageDecodeError(f"the image could not be decoded (corrupt or truncated): {exc}") from None


def _to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("RGB"))


def rgb_to_gray(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, as OpenCV and FER2013's grey faces use."""
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
