"""Comparing models on one analysis's faces: the per-face, per-model predictions (writes) and how the
result page lays them side by side (a read).

One detection, one crop, several classifiers: at upload (`models=`) the pipeline classifies the same
crops with every model asked for (`services.analysis_process`); later, from the result page, the
stored photo is cropped again at the stored boxes (`ml.serving.pipeline.classify_boxes`, the same
`ml.faces` framing) and classified here, where the work runs (`dispatch.submit_compare`). Each face
keeps `{model: {emotion, confidence, probabilities}}` in `Face.predictions`.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from analysis.core.choices import check_models, model_catalogue, model_names
from analysis.models import Analysis, CompareStatus, Face
from fer_site.errors import ServiceError
from ml.emotions import EMOTIONS
from ml.faces import Box

logger = logging.getLogger(__name__)


class CompareRefused(ServiceError):
    """The analysis cannot be compared now (not done, no face, photo not kept)."""

    status = 409


def prediction(probabilities: Sequence[float] | np.ndarray) -> dict:
    """One model's prediction for one face, as stored and served: emotion, confidence, probabilities."""
    values = [float(p) for p in probabilities]
    top = int(np.argmax(values))
    return {"emotion": EMOTIONS[top], "confidence": round(values[top], 4),
            "probabilities": {e: round(p, 4) for e, p in zip(EMOTIONS, values, strict=True)}}


def stored_box(face: Face) -> Box:
    """The face's box as the pipeline found it, landmarks included when they were stored."""
    landmarks = None if face.landmarks is None else tuple((float(x), float(y)) for x, y in face.landmarks)
    return Box(face.x, face.y, face.w, face.h, face.detector_score, landmarks)


# --- writes ---------------------------------------------------------------------------------------


def compare_request(*, owner: User, analysis: Analysis, models: str | list[str] | None = None) -> Analysis:
    """Ask for `models` (default: every available one) on a done analysis's faces; the caller starts the work
    (`dispatch.submit_compare`). Refused when not done, without faces, or when the photo was not kept."""
    if analysis.owner_id != owner.pk:  # callers look it up through its owner; this is the backstop
        raise ServiceError(_("No such analysis."), code="not_found", status=404)
    names = check_models(models) or model_names()
    if analysis.status != Analysis.Status.DONE:
        raise CompareRefused(_("The analysis is not done yet; models can be compared once it is."), code="not_ready")
    if not analysis.face_count:
        raise CompareRefused(_("No face was found in this photo, so there is nothing to compare."), code="no_face")
    if not analysis.photo:
        raise CompareRefused(_("The photo of this analysis was not kept (privacy setting), so other models cannot "
                               "look at its faces. Upload it again with models= to compare."),
                             code="photo_not_kept")
    with transaction.atomic():
        current = Analysis.objects.select_for_update().get(pk=analysis.pk)
        if current.compare_status in (CompareStatus.PENDING, CompareStatus.RUNNING):
            return current  # already on its way: one comparison at a time
        current.compare_models = names
        current.compare_status = CompareStatus.PENDING
        current.compare_error = ""
        current.compare_requested_at = timezone.now()
        current.save(update_fields=["compare_models", "compare_status", "compare_error", "compare_requested_at"])
    return current


# Stored in English and translated when shown, like the analyses' reasons (analysis.core.messages): a worker or
# another user's request may write it.
STALE_REASON = gettext_noop("The comparison did not finish in time; please ask for it again.")


def compare_fail_stale(*, owner: User | None = None) -> int:
    """Fail comparisons pending or running past FER_ANALYSIS_TIMEOUT_SECONDS (their worker is gone), and those
    asked for at upload whose analysis failed, so the page never waits for them forever."""
    limit = timezone.now() - timezone.timedelta(seconds=settings.FER_ANALYSIS_TIMEOUT_SECONDS)
    waiting = Analysis.objects.filter(compare_status__in=[CompareStatus.PENDING, CompareStatus.RUNNING])
    if owner is not None:
        waiting = waiting.filter(owner=owner)
    stale = waiting.filter(Q(compare_requested_at__lt=limit) | Q(status=Analysis.Status.FAILED))
    return stale.update(compare_status=CompareStatus.FAILED, compare_error=STALE_REASON)


def compare_withdraw(*, analysis_id: uuid.UUID | str) -> None:
    """Undo `compare_request` when its work could not be started (the queue is unreachable)."""
    Analysis.objects.filter(id=analysis_id, compare_status=CompareStatus.PENDING).update(
        compare_status=CompareStatus.NONE, compare_models=[])


def _claim(analysis_id: uuid.UUID | str) -> Analysis | None:
    with transaction.atomic():
        analysis = Analysis.objects.select_for_update().filter(id=analysis_id).first()
        if analysis is None or analysis.compare_status != CompareStatus.PENDING:
            return None
        analysis.compare_status = CompareStatus.RUNNING
        analysis.save(update_fields=["compare_status"])
        return analysis


def _fail(analysis: Analysis, reason: str) -> Analysis:
    Analysis.objects.filter(pk=analysis.pk).update(compare_status=CompareStatus.FAILED, compare_error=reason)
    analysis.compare_status, analysis.compare_error = CompareStatus.FAILED, reason
    return analysis


def compare_process(*, analysis_id: uuid.UUID | str) -> Analysis | None:
    """Classify the stored faces with each requested model and store the predictions (the task's body)."""
    analysis = _claim(analysis_id)
    if analysis is None:
        return None
    from ml.model_card import ModelFileError
    from ml.serving.images import ImageDecodeError
    from ml.serving.pipeline import classify_boxes
    from ml.serving.registry import UnknownModelError

    faces = list(analysis.faces.order_by("index"))
    others = [m for m in analysis.compare_models if m != analysis.model_name]
    try:
        with analysis.photo.open("rb") as handle:
            data = handle.read()
        found = classify_boxes(data, [stored_box(f) for f in faces], detector=analysis.detector, models=others,
                               max_pixels=settings.FER_MAX_IMAGE_PIXELS)
    except (OSError, ValueError, ImageDecodeError):
        return _fail(analysis, gettext_noop("The stored photo could not be read."))
    except (UnknownModelError, ModelFileError) as exc:
        return _fail(analysis, str(exc))
    except SoftTimeLimitExceeded:
        return _fail(analysis, gettext_noop("Comparing the models took longer than its time limit."))
    except Exception:  # a bug or resource problem: a readable reason, the details in the log
        logger.exception("comparing models on analysis %s failed", analysis.id)
        return _fail(analysis, gettext_noop("An internal error stopped the comparison."))
    with transaction.atomic():
        current = Analysis.objects.select_for_update().filter(id=analysis.id).first()
        if current is None:
            return None
        for i, face in enumerate(faces):
            face.predictions = face_predictions(current.compare_models, current.model_name, face.probabilities.values(),
                                                {m: p[i] for m, p in found.items()})
        Face.objects.bulk_update(faces, ["predictions"])
        current.compare_status = CompareStatus.DONE
        current.save(update_fields=["compare_status"])
    return current


def face_predictions(models: Sequence[str], main_model: str, main: Iterable[float],
                     others: dict[str, np.ndarray]) -> dict:
    """Each model's prediction for one face; the analysis's own model keeps the face's main result."""
    main = list(main)
    return {m: prediction(main if m == main_model else others[m]) for m in models}


# --- the page's side-by-side view -------------------------------------------------------------------


@dataclass(frozen=True)
class ModelColumn:
    name: str
    accuracy: float | None  # FER2013 PublicTest accuracy from the model's card
    emotion: str
    confidence: float


@dataclass(frozen=True)
class FaceComparison:
    face: Face
    columns: list[ModelColumn]
    rows: list[tuple[str, list[tuple[float, bool]]]]  # per emotion: each model's (probability, is its top)
    agreed: str | None  # the emotion every model picked, else None
    votes: list[tuple[str, int]]  # top emotions and how many models picked each, most first


def face_comparisons(analysis: Analysis, faces: Sequence[Face]) -> list[FaceComparison]:
    """Per face, the models in the order asked (the analysis's own first) with their probabilities side by side."""
    accuracy = {m["name"]: m.get("accuracy") for m in model_catalogue()}
    order = sorted(analysis.compare_models, key=lambda m: m != analysis.model_name)
    found = []
    for face in faces:
        models = [m for m in order if m in face.predictions]
        if not models:
            continue
        preds = [face.predictions[m] for m in models]
        columns = [ModelColumn(m, accuracy.get(m), p["emotion"], p["confidence"]) for m, p in zip(models, preds,
                                                                                                  strict=True)]
        rows = [(e, [(p["probabilities"][e], p["emotion"] == e) for p in preds]) for e in EMOTIONS]
        votes = Counter(p["emotion"] for p in preds).most_common()
        found.append(FaceComparison(face, columns, rows, votes[0][0] if len(votes) == 1 else None, votes))
    return found
