"""Checks of an uploaded video before anything is stored: size in bytes, then the file itself read
with `ml.serving.video_files.probe_video` (container, a video track, codec, pixels per frame,
duration, one frame that decodes). Every refusal names the file and has a code, like photos'.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from analysis.core.messages import translated
from analysis.core.photo_checks import InvalidUpload, file_name, human_size
from ml.serving.video_files import VideoDecodeError, VideoInfo, probe_video

# HTTP status of a refusal, by code (else 400).
STATUSES = {"video_too_large": 413, "video_too_long": 413, "file_too_large": 413, "unsupported_format": 415,
            "unsupported_codec": 415}


@dataclass(frozen=True)
class CheckedVideo:
    upload: UploadedFile
    name: str
    info: VideoInfo

    @property
    def extension(self) -> str:
        return "webm" if self.info.container == "webm" else "mp4"


def check_video(upload: UploadedFile) -> CheckedVideo:
    name = file_name(upload)
    limit = settings.FER_MAX_VIDEO_BYTES
    if not upload.size:
        raise InvalidUpload(_("%(name)s: the file is empty.") % {"name": name}, code="empty_file")
    if upload.size > limit:
        raise InvalidUpload(_("%(name)s: the file is over the %(limit)s limit.")
                            % {"name": name, "limit": human_size(limit)}, code="file_too_large", status=413)
    # A large upload is already a temporary file: FFmpeg reads it by path, faster than through Python.
    source = upload.temporary_file_path() if hasattr(upload, "temporary_file_path") else upload.file
    try:
        info = probe_video(source, max_pixels=settings.FER_MAX_VIDEO_PIXELS,
                           max_duration_s=settings.FER_MAX_VIDEO_SECONDS)
    except VideoDecodeError as exc:
        raise InvalidUpload(_("%(name)s: %(detail)s.") % {"name": name, "detail": translated(exc)}, code=exc.code,
                            status=STATUSES.get(exc.code, 400)) from None
    finally:
        upload.seek(0)
    return CheckedVideo(upload, name, info)
