"""Build analyses and faces straight through the ORM, without running a model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from analysis.models import Analysis, Face
from ml.emotions import EMOTIONS

FaceSpec = str | tuple[str, float]


def probabilities(emotion: str, confidence: float) -> dict[str, float]:
    """A distribution whose top class is `emotion` with `confidence`; the rest shared unevenly."""
    others = [e for e in EMOTIONS if e != emotion]
    weights = [i + 1 for i in range(len(others))]
    rest = 1.0 - confidence
    probs = {e: rest * w / sum(weights) for e, w in zip(others, weights, strict=True)}
    probs[emotion] = confidence
    return probs


def make_analysis(owner: User, *, faces: Sequence[FaceSpec] = (), name: str = "photo.jpg",
                  status: str = Analysis.Status.DONE, model: str = "fast", detector: str = "haar",
                  created_at: dt.datetime | None = None, photo: bool = False, thumbnail: bool = False,
                  photo_discarded: bool = False) -> Analysis:
    analysis = Analysis(
        owner=owner, original_name=name, image_format="JPEG", width=640, height=480, model_name=model,
        detector=detector, status=status, photo_discarded=photo_discarded,
    )
    if photo:
        analysis.photo.save("upload.jpg", ContentFile(b"\xff\xd8fake-jpeg"), save=False)
    if thumbnail:
        analysis.thumbnail.save("thumb.jpg", ContentFile(b"\xff\xd8fake-thumb"), save=False)
    analysis.save()
    specs = [(f, 0.8) if isinstance(f, str) else f for f in faces]
    Face.objects.bulk_create([
        Face(analysis=analysis, index=i, x=10 * i, y=20, w=50, h=60, detector_score=0.99, emotion=emotion,
             confidence=confidence, **{f"p_{e}": p for e, p in probabilities(emotion, confidence).items()})
        for i, (emotion, confidence) in enumerate(specs)
    ])
    updates = {"face_count": len(specs)}
    if specs:
        updates["top_emotion"] = max(specs, key=lambda s: s[1])[0]
    if status == Analysis.Status.FAILED:
        updates["error"] = "The photo could not be read."
    if status in (Analysis.Status.DONE, Analysis.Status.FAILED):
        updates["finished_at"] = timezone.now()
    if created_at is not None:
        updates["created_at"] = created_at
    Analysis.objects.filter(pk=analysis.pk).update(**updates)
    analysis.refresh_from_db()
    return analysis


def days_ago(n: int, *, hour: int = 12) -> dt.datetime:
    """Noon (local time) n days before today: safely inside that local date."""
    day = timezone.localdate() - dt.timedelta(days=n)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
