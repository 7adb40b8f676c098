"""Writes for analyses: create, process (the task's body), fail, delete, sweep; the owner's privacy
actions; live-session records.

Web processes call `analysis_create` and never load a model; `analysis_process` runs where the
work runs (`analysis.core.dispatch` decides where) and imports the ml pipeline lazily.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Iterable, Sequence

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps

from accounts.models import User
from analysis.core.choices import check_detector, check_model
from analysis.core.compare import compare_fail_stale, face_predictions
from analysis.core.heatmaps import heatmaps_delete
from analysis.core.messages import PHOTO_UNREADABLE_REASON
from analysis.core.photo_checks import CheckedImage, check_image_bytes
from analysis.models import Analysis, CompareStatus, Face, LiveSession
from fer_site.errors import ServiceError
from ml.emotions import EMOTIONS

logger = logging.getLogger(__name__)
THUMBNAIL_SIZE = (320, 320)
# Failure reasons are stored in English (the worker has no reader's language) and translated when shown
# (the `reason` template filter): gettext_noop only marks them for the catalogue.
TIME_LIMIT_REASON = gettext_noop("The analysis took longer than its time limit; please try a smaller photo or "
                                 "upload it again.")
STALE_REASON = gettext_noop("The analysis did not finish in time; please upload the photo again.")


def analysis_create(*, owner: User, image: CheckedImage, model: str | None = None,
                    detector: str | None = None, models: Sequence[str] = ()) -> Analysis:
    """Store a checked photo as a pending analysis (the caller starts it: `analysis.core.dispatch.submit`).
    `models`: checked names whose predictions each face will also carry (`analysis.core.compare`)."""
    model_name, detector_name = check_model(model), check_detector(detector)
    with transaction.atomic():
        analysis = Analysis(
            owner=owner,
            original_name=image.name,
            image_format=image.format,
            width=image.width,
            height=image.height,
            model_name=model_name,
            detector=detector_name,
            compare_models=list(models),
            compare_status=CompareStatus.PENDING if models else CompareStatus.NONE,
            compare_requested_at=timezone.now() if models else None,
        )
        analysis.photo.save(f"upload.{image.extension}", ContentFile(image.data), save=False)
        analysis.save()
    return analysis


class PhotoNotKept(ServiceError):
    """The stored photo an action needs is gone (the owner does not keep photos)."""

    code = "photo_not_kept"
    status = 409


def analysis_again(*, owner: User, source: Analysis, model: str | None = None,
                   detector: str | None = None) -> Analysis:
    """A new pending analysis of `source`'s stored photo with another model or detector (the caller
    starts it). The source stays as it is; a photo that was not kept cannot be analysed again."""
    if source.owner_id != owner.pk:  # callers look the source up through its owner; this is the backstop
        raise ServiceError(_("No such analysis."), code="not_found", status=404)
    model, detector = check_model(model), check_detector(detector)
    if not source.photo:
        raise PhotoNotKept(_("The photo of this analysis was not kept (privacy setting), so it cannot be analysed "
                             "again. Upload it again to use another model or detector."))
    try:
        with source.photo.open("rb") as handle:
            data = handle.read()
    except OSError:
        raise PhotoNotKept(_("The photo of this analysis is no longer stored; upload it again.")) from None
    return analysis_create(owner=owner, image=check_image_bytes(data, source.original_name), model=model,
                           detector=detector)


def analysis_discard(*, analysis: Analysis) -> None:
    """Undo `analysis_create` (the work could not be started): the row and its file go."""
    Analysis.objects.filter(pk=analysis.pk).delete()
    if analysis.photo:
        analysis.photo.storage.delete(analysis.photo.name)


def _thumbnail(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as source:
        image = ImageOps.exif_transpose(source).convert("RGB")
    image.thumbnail(THUMBNAIL_SIZE)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _claim(analysis_id: uuid.UUID | str) -> Analysis | None:
    """Mark the analysis running; None when it is gone or already finished (redelivered task)."""
    with transaction.atomic():
        analysis = Analysis.objects.select_for_update().filter(id=analysis_id).first()
        if analysis is None or analysis.is_finished:
            return None
        if analysis.attempts >= settings.FER_ANALYSIS_MAX_ATTEMPTS:
            # Each earlier delivery killed its worker (hard time limit, out of memory): stop redelivering it.
            analysis_fail(analysis=analysis, reason=gettext_noop("The analysis stopped its worker several times; "
                                                                 "the photo may be too large or unusual."))
            return None
        analysis.status = Analysis.Status.RUNNING
        analysis.started_at = timezone.now()
        analysis.attempts += 1
        analysis.save(update_fields=["status", "started_at", "attempts"])
        return analysis


def analysis_process(*, analysis_id: uuid.UUID | str) -> Analysis | None:
    """Detect and classify every face of the photo and store the result. Safe to run twice."""
    analysis = _claim(analysis_id)
    if analysis is None:
        return None
    if settings.FER_TEST_TASK_DELAY_S:
        time.sleep(settings.FER_TEST_TASK_DELAY_S)  # fault tests only: a deterministic "slow" analysis
    try:
        with analysis.photo.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        return analysis_fail(analysis=analysis, reason=gettext_noop("The stored photo could not be read."))

    from ml.model_card import ModelFileError
    from ml.serving.detection import UnknownDetectorError
    from ml.serving.images import ImageDecodeError
    from ml.serving.pipeline import analyse_photo
    from ml.serving.registry import UnknownModelError

    try:
        result = analyse_photo(data, model=analysis.model_name, detector=analysis.detector,
                               max_pixels=settings.FER_MAX_IMAGE_PIXELS,
                               also=[m for m in analysis.compare_models if m != analysis.model_name])
    except ImageDecodeError as exc:
        return analysis_fail(analysis=analysis, reason=PHOTO_UNREADABLE_REASON % {"detail": exc.message})
    except (UnknownModelError, UnknownDetectorError, ModelFileError) as exc:
        return analysis_fail(analysis=analysis, reason=str(exc))
    except SoftTimeLimitExceeded:
        return analysis_fail(analysis=analysis, reason=TIME_LIMIT_REASON)
    except Exception:  # a bug or resource problem: keep the reason readable, the details in the log
        logger.exception("analysis %s failed", analysis.id)
        return analysis_fail(analysis=analysis, reason=gettext_noop("An internal error stopped the analysis."))

    faces = [
        Face(
            analysis=analysis, index=i, x=f.box.x, y=f.box.y, w=f.box.w, h=f.box.h,
            detector_score=f.box.score, emotion=f.emotion, confidence=f.confidence,
            **{f"p_{emotion}": float(p) for emotion, p in zip(EMOTIONS, f.probabilities, strict=True)},
            landmarks=f.box.to_dict().get("landmarks"),
            predictions=face_predictions(analysis.compare_models, analysis.model_name, f.probabilities,
                                         {m: p[i] for m, p in result.also.items()}),
        )
        for i, f in enumerate(result.faces)
    ]
    thumbnail = _thumbnail(data) if analysis.owner.keep_photos else None
    with transaction.atomic():
        current = Analysis.objects.select_for_update().filter(id=analysis.id).first()
        if current is None or current.is_finished:  # deleted meanwhile, or finished by another delivery
            return current
        Face.objects.filter(analysis=current).delete()
        Face.objects.bulk_create(faces)
        current.status = Analysis.Status.DONE
        current.error = ""
        current.face_count = len(faces)
        current.top_emotion = max(result.faces, key=lambda f: f.confidence).emotion if faces else ""
        current.width, current.height = result.width, result.height
        current.timings_ms = {k: round(v, 1) for k, v in result.timings_ms.items()}
        current.finished_at = timezone.now()
        if current.compare_models:
            current.compare_status = CompareStatus.DONE
        if thumbnail is not None:
            current.thumbnail.save("thumb.jpg", ContentFile(thumbnail), save=False)
        else:
            _discard_photo(current)
        current.save()
    return current


def _discard_photo(analysis: Analysis) -> None:
    heatmaps_delete([analysis.id])
    files = [analysis.photo, analysis.thumbnail]
    for field in files:
        if field:
            name = field.name
            transaction.on_commit(lambda name=name, storage=field.storage: storage.delete(name))
    analysis.photo = ""
    analysis.thumbnail = ""
    analysis.photo_discarded = True


def analysis_fail(*, analysis: Analysis, reason: str) -> Analysis:
    analysis.status = Analysis.Status.FAILED
    analysis.error = reason
    analysis.finished_at = timezone.now()
    fields = ["status", "error", "finished_at"]
    if analysis.compare_status == CompareStatus.PENDING:  # models asked for at upload: no faces to compare
        analysis.compare_status, analysis.compare_error = CompareStatus.FAILED, reason
        fields += ["compare_status", "compare_error"]
    analysis.save(update_fields=fields)
    return analysis


def analysis_fail_stale(*, owner: User | None = None) -> int:
    """Fail analyses pending or running past their limit, so none waits forever."""
    limit = timezone.now() - timezone.timedelta(seconds=settings.FER_ANALYSIS_TIMEOUT_SECONDS)
    stale = Analysis.objects.filter(status__in=[Analysis.Status.PENDING, Analysis.Status.RUNNING], created_at__lt=limit)
    if owner is not None:
        stale = stale.filter(owner=owner)
    failed = stale.update(status=Analysis.Status.FAILED, finished_at=timezone.now(), error=STALE_REASON)
    compare_fail_stale(owner=owner)
    return failed


def _delete_files(analyses: Iterable[Analysis]) -> None:
    heatmaps_delete([a.id for a in analyses])
    for analysis in analyses:
        for field in (analysis.photo, analysis.thumbnail):
            if field:
                transaction.on_commit(lambda name=field.name, storage=field.storage: storage.delete(name))


def analysis_delete(*, owner: User, ids: Iterable[uuid.UUID | str]) -> int:
    """Delete the owner's analyses among `ids` (others' ids are ignored) with their files."""
    with transaction.atomic():
        analyses = list(Analysis.objects.filter(owner=owner, id__in=list(ids)))
        _delete_files(analyses)
        Analysis.objects.filter(pk__in=[a.pk for a in analyses]).delete()
    return len(analyses)


def user_keep_photos_set(*, user: User, keep: bool) -> User:
    user.keep_photos = keep
    user.save(update_fields=["keep_photos"])
    return user


def user_data_delete(*, user: User) -> dict[str, int]:
    """Delete every analysis, face, file, live session and video of the user; returns how many of each went:
    {"analyses", "faces", "photos", "live_sessions", "videos"} (photos: stored originals, their thumbnails
    with them)."""
    from analysis.core.video_services import videos_delete_all

    with transaction.atomic():
        analyses = list(Analysis.objects.filter(owner=user))
        _delete_files(analyses)
        _, per_model = Analysis.objects.filter(owner=user).delete()
        sessions, _ = LiveSession.objects.filter(owner=user).delete()
        videos = videos_delete_all(owner=user)
    return {"analyses": len(analyses), "faces": per_model.get(Face._meta.label, 0),
            "photos": sum(1 for a in analyses if a.photo), "live_sessions": sessions, "videos": videos}


def live_session_save(*, owner: User, summary: dict) -> LiveSession | None:
    """Store a finished stream's summary; streams that analysed no frame leave nothing."""
    if not summary.get("frames_analysed"):
        return None
    return LiveSession.objects.create(owner=owner, **summary)


def live_session_delete(*, owner: User, session_id: uuid.UUID | str) -> int:
    deleted, _ = LiveSession.objects.filter(owner=owner, id=session_id).delete()
    return deleted


def analysis_fail_unfinished(*, analysis_id: uuid.UUID | str, reason: str) -> Analysis | None:
    """Fail the analysis unless it already finished (a task's last word when it is stopped)."""
    with transaction.atomic():
        analysis = Analysis.objects.select_for_update().filter(id=analysis_id).first()
        if analysis is None or analysis.is_finished:
            return analysis
        return analysis_fail(analysis=analysis, reason=reason)


def analysis_discard_unkept_photos() -> int:
    """Delete stored photos of finished analyses whose owner does not keep photos (e.g. failed ones)."""
    discarded = 0
    candidates = Analysis.objects.filter(
        owner__keep_photos=False, status__in=[Analysis.Status.DONE, Analysis.Status.FAILED], photo_discarded=False,
    ).exclude(photo="", thumbnail="")
    for analysis_id in candidates.values_list("id", flat=True)[:1000]:  # bounded per sweep; the next one goes on
        with transaction.atomic():
            analysis = Analysis.objects.select_for_update().filter(id=analysis_id).first()
            if analysis is None or analysis.owner.keep_photos:
                continue
            _discard_photo(analysis)
            analysis.save(update_fields=["photo", "thumbnail", "photo_discarded"])
            discarded += 1
    return discarded


def analysis_sweep() -> dict[str, int]:
    """The periodic job (Celery beat in the scaled profile, `manage.py sweep_analyses` elsewhere).

    Analyses pending or running past `FER_ANALYSIS_TIMEOUT_SECONDS` (worker gone for good, task
    lost with the broker) end as failed with a reason; photos that their owner chose not to keep
    and that are still stored are deleted; the same for videos (`analysis.core.video_services`).
    """
    from analysis.core.video_services import videos_discard_unkept, videos_fail_stale

    return {"failed_stale": analysis_fail_stale(), "photos_discarded": analysis_discard_unkept_photos(),
            "videos_failed_stale": videos_fail_stale(), "videos_discarded": videos_discard_unkept()}
