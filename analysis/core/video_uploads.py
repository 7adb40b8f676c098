"""Uploads of videos, the same for the videos page and the API (one file or several at once).

Each file is checked (`analysis.core.video_checks`), stored as a pending video and started where
this deployment runs work (`analysis.core.dispatch.submit_video`). One bad file never stops the
others; a bad model, detector or frame rate, or too many files, refuses the request.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from accounts.models import User
from analysis.core import dispatch, video_services
from analysis.core.choices import check_detector, check_model
from analysis.core.photo_checks import InvalidUpload, file_name
from analysis.core.video_checks import check_video
from analysis.models import Video
from fer_site.errors import ServiceError

MAX_VIDEOS_PER_REQUEST = 5


@dataclass
class VideoUploadOutcome:
    """One file of a request: its video, or the error that refused it."""

    name: str
    video: Video | None = None
    error: ServiceError | None = None


def upload_videos(*, owner: User, files: list[UploadedFile], model: str | None = None, detector: str | None = None,
                  sample_fps: float | str | None = None) -> list[VideoUploadOutcome]:
    if not files:
        raise InvalidUpload(_("Choose at least one video."), code="no_file")
    if len(files) > MAX_VIDEOS_PER_REQUEST:
        raise InvalidUpload(_("At most %(max)s videos per upload; got %(count)s.")
                            % {"max": MAX_VIDEOS_PER_REQUEST, "count": len(files)}, code="too_many_files")
    model, detector = check_model(model), check_detector(detector)
    sample_fps = video_services.check_sample_fps(sample_fps)
    outcomes = []
    for upload in files:
        outcome = VideoUploadOutcome(file_name(upload))
        try:
            video = video_services.video_create(owner=owner, video=check_video(upload), model=model,
                                                detector=detector, sample_fps=sample_fps)
            dispatch.submit_video(video)
        except ServiceError as exc:
            outcome.error = exc
        else:
            outcome.video = Video.objects.filter(pk=video.pk).first()
            if outcome.video is None:  # deleted (or refused by a busy queue) before we read it back
                outcome.error = ServiceError(_("The video was deleted before it could be shown."), code="not_found",
                                             status=404)
        outcomes.append(outcome)
    return outcomes
