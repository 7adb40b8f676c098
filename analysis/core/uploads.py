"""Uploads of photos, the same for the upload page and the API (one file or several at once), and
analysing a stored photo again with another model or detector.

Each file is checked (`analysis.core.photo_checks`), stored as a pending analysis and started
where this deployment runs work (`analysis.core.dispatch`). One bad file never stops the others
of the same request; a bad model or detector name, too many files, or a user over the upload rate
(`FER_UPLOAD_RATE`: one budget per user for the page and the API, each file counts, refused ones
too) refuses the request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from accounts.models import User
from analysis.core import dispatch, services
from analysis.core.choices import check_detector, check_model, check_models
from analysis.core.photo_checks import InvalidUpload, check_image, file_name
from analysis.models import Analysis
from fer_site import rate_limits
from fer_site.errors import ServiceError

MAX_FILES_PER_REQUEST = 20


class UploadsThrottled(ServiceError):
    """The user sent more photos than `FER_UPLOAD_RATE` allows; nothing of this request was stored."""

    code = "throttled"
    status = 429

    def __init__(self, rate: str, retry_after: int):
        count, period = rate_limits.parse_rate(rate)
        span = {1: _("second"), 60: _("minute"), 3600: _("hour"), 86400: _("day")}[period]
        super().__init__(_("Too many photos: at most %(count)s per %(span)s. Retry in %(wait)s s; nothing was stored.")
                         % {"count": count, "span": span, "wait": retry_after}, details={"retry_after": retry_after})

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.details["retry_after"])}


def check_upload_rate(*, owner: User, count: int) -> None:
    """Count `count` photos of `owner` against FER_UPLOAD_RATE; raises UploadsThrottled when over it."""
    rate = settings.FER_UPLOAD_RATE
    try:
        wait = rate_limits.take(f"uploads:{owner.pk}", rate, count)
    except Exception as exc:  # the counter's cache (Redis) unreachable: busy, like the queue
        busy = dispatch.as_busy(exc)
        if busy is None:
            raise
        raise busy from exc
    if wait is not None:
        raise UploadsThrottled(rate, wait)


@dataclass
class UploadOutcome:
    """One file of a request: its analysis, or the error that refused it."""

    name: str
    analysis: Analysis | None = None
    error: ServiceError | None = None


def check_file_count(count: int) -> None:
    if count == 0:
        raise InvalidUpload(_("Choose at least one photo."), code="no_file")
    if count > MAX_FILES_PER_REQUEST:
        raise InvalidUpload(_("At most %(max)s photos per upload; got %(count)s.")
                            % {"max": MAX_FILES_PER_REQUEST, "count": count}, code="too_many_files")


def upload_photos(*, owner: User, files: list[UploadedFile], model: str | None = None,
                  detector: str | None = None, wait_s: float | None = None,
                  models: str | list[str] | None = None) -> list[UploadOutcome]:
    """Check, store and start every file; with `wait_s`, wait (shared by all files) for them to finish.
    `models`: other models whose predictions each face also carries (`analysis.core.compare`).

    A bad model or detector name, too many files, or too many uploads refuses the whole request
    (raised); a bad file or a busy queue refuses that file only (its outcome's `error`).
    """
    check_file_count(len(files))
    model, detector, models = check_model(model), check_detector(detector), check_models(models)
    check_upload_rate(owner=owner, count=len(files))
    deadline = None if wait_s is None else time.monotonic() + wait_s
    outcomes = []
    for upload in files:
        outcome = UploadOutcome(file_name(upload))
        try:
            analysis = services.analysis_create(owner=owner, image=check_image(upload), model=model,
                                                detector=detector, models=models)
            dispatch.submit(analysis, wait_s=_remaining(deadline))
        except ServiceError as exc:
            outcome.error = exc
        else:
            outcome.analysis = Analysis.objects.prefetch_related("faces").filter(pk=analysis.pk).first()
            if outcome.analysis is None:  # deleted by its owner while we waited
                outcome.error = ServiceError(_("The analysis was deleted while waiting for it."), code="not_found",
                                             status=404)
        outcomes.append(outcome)
    return outcomes


def _remaining(deadline: float | None) -> float | None:
    """Seconds left of a shared wait; None (start without waiting) once it has run out."""
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    return left if left > 0 else None


def analyse_again(*, owner: User, source: Analysis, model: str | None = None,
                  detector: str | None = None) -> Analysis:
    """Start a new analysis of `source`'s stored photo (`services.analysis_again` checks and stores it)."""
    analysis = services.analysis_again(owner=owner, source=source, model=model, detector=detector)
    dispatch.submit(analysis)
    return analysis
