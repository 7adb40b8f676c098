"""Stored analyses of uploaded photos and the faces found in them.

Identifiers are random UUIDs, so URLs reveal nothing about other users' data or volumes.
Face probabilities are one column per emotion, so statistics are plain SQL aggregates.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from ml.emotions import EMOTIONS

EMOTION_CHOICES = [(e, e.capitalize()) for e in EMOTIONS]


def photo_path(instance: Analysis, filename: str) -> str:
    # A fresh random name: neither the user's file name nor the analysis id can be guessed from it.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"photos/{uuid.uuid4().hex}.{suffix}"


def thumbnail_path(instance: Analysis, filename: str) -> str:
    return f"thumbnails/{uuid.uuid4().hex}.jpg"


class Analysis(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="analyses")
    photo = models.FileField(upload_to=photo_path, blank=True)
    thumbnail = models.FileField(upload_to=thumbnail_path, blank=True)
    photo_discarded = models.BooleanField(default=False, help_text="The owner chose not to keep photos.")
    original_name = models.CharField(max_length=255)
    image_format = models.CharField(max_length=10)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    model_name = models.CharField(max_length=64)
    detector = models.CharField(max_length=16)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.TextField(blank=True)
    face_count = models.PositiveIntegerField(default=0)
    top_emotion = models.CharField(max_length=10, choices=EMOTION_CHOICES, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    timings_ms = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def duration_ms(self) -> float | None:
        return self.timings_ms.get("total")


class Face(models.Model):
    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="faces")
    index = models.PositiveSmallIntegerField()
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    w = models.PositiveIntegerField()
    h = models.PositiveIntegerField()
    detector_score = models.FloatField()
    emotion = models.CharField(max_length=10, choices=EMOTION_CHOICES, db_index=True)
    confidence = models.FloatField()
    p_angry = models.FloatField()
    p_disgust = models.FloatField()
    p_fear = models.FloatField()
    p_happy = models.FloatField()
    p_sad = models.FloatField()
    p_surprise = models.FloatField()
    p_neutral = models.FloatField()

    class Meta:
        ordering = ["analysis", "index"]
        constraints = [models.UniqueConstraint(fields=["analysis", "index"], name="one_face_per_index")]

    def __str__(self) -> str:
        return f"face {self.index} of {self.analysis_id}: {self.emotion}"

    @property
    def probabilities(self) -> dict[str, float]:
        return {emotion: getattr(self, f"p_{emotion}") for emotion in EMOTIONS}

    @property
    def ranked(self) -> list[tuple[str, float]]:
        return sorted(self.probabilities.items(), key=lambda item: item[1], reverse=True)


class LiveSession(models.Model):
    """What remains of a webcam stream once it stops: counts and the emotion timeline, no images."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_sessions")
    model_name = models.CharField(max_length=64)
    started_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField()
    duration_s = models.FloatField()
    frames_received = models.PositiveIntegerField(default=0)
    frames_analysed = models.PositiveIntegerField(default=0)
    frames_dropped = models.PositiveIntegerField(default=0)
    faces_seen = models.PositiveIntegerField(default=0, help_text="Distinct tracked faces.")
    face_detections = models.PositiveIntegerField(default=0)
    top_emotion = models.CharField(max_length=10, choices=EMOTION_CHOICES, blank=True)
    emotion_counts = models.JSONField(default=dict, help_text="Detections per smoothed top emotion.")
    timeline = models.JSONField(default=list, help_text="[{t: seconds from start, n: detections, shares: {...}}]")
    mean_latency_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"live session {self.started_at:%Y-%m-%d %H:%M} ({self.duration_s:.0f} s)"

    @property
    def emotion_shares(self) -> dict[str, float]:
        total = sum(self.emotion_counts.values()) or 1
        return {e: self.emotion_counts.get(e, 0) / total for e in EMOTIONS}
