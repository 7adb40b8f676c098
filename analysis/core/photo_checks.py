"""Checks of an uploaded photo before anything is stored: size in bytes, then a real decode with
the pixel count read from the header first (`ml.serving.images.inspect_image`), so decompression
bombs are refused without allocating their pixels. Every refusal has a code and a message that
states the limit it broke; the message does not repeat the file's name, because every caller shows
the name beside it (the upload page's list, the API's batch items).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analysis.core.messages import translated
from fer_site.errors import ServiceError, sentence
from ml.serving.images import NOT_AN_IMAGE, ImageDecodeError, inspect_image

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
FORMAT_NAMES = gettext_lazy("JPEG, PNG or WebP")
STATUSES = {"image_too_large": 413, "unsupported_format": 415}  # HTTP status of a refusal, by code (else 400)


class InvalidUpload(ServiceError):
    """A refused file; `code` is machine-readable (the API returns it), the message is for people."""


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    name: str
    format: str  # JPEG, PNG or WEBP
    extension: str
    width: int
    height: int


def file_name(upload: UploadedFile) -> str:
    return (upload.name or "upload").rsplit("/", 1)[-1][:255]


def human_size(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} kB"


def _too_large(size: int | None, limit: int) -> InvalidUpload:
    if size:
        message = _("The file (%(size)s MB) is over the %(limit)s limit.") % {
            "size": formats.number_format(size / 1024 / 1024, 1), "limit": human_size(limit)}
    else:
        message = _("The file is over the %(limit)s limit.") % {"limit": human_size(limit)}
    return InvalidUpload(message, code="image_too_large", status=413)


def check_image(upload: UploadedFile) -> CheckedImage:
    name = file_name(upload)
    limit = settings.FER_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_large(upload.size, limit)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(None, limit)
    return check_image_bytes(data, name)


def check_image_bytes(data: bytes, name: str) -> CheckedImage:
    try:
        info = inspect_image(data, settings.FER_MAX_IMAGE_PIXELS, formats=ALLOWED_FORMATS)
    except ImageDecodeError as exc:
        message = translated(exc)
        if exc.code == "unsupported_format":
            message = _("%(reason)s; use %(formats)s") % {"reason": message, "formats": FORMAT_NAMES}
        elif exc.template == NOT_AN_IMAGE:
            message = _("%(reason)s (%(formats)s)") % {"reason": message, "formats": FORMAT_NAMES}
        elif exc.code == "image_too_large" and "megapixels" not in exc.message:
            # Pillow's own bomb check fired before the header check could say which limit it broke.
            message = _("%(reason)s (the limit is %(limit)s megapixels)") % {
                "reason": message, "limit": f"{settings.FER_MAX_IMAGE_PIXELS / 1e6:g}"}
        raise InvalidUpload(sentence(message), code=exc.code, status=STATUSES.get(exc.code, 400)) from None
    return CheckedImage(data, name, info.format, ALLOWED_FORMATS[info.format], info.width, info.height)
