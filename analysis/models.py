"""Stored analyses of uploaded photos and the faces found in them; videos and their face tracks.

Identifiers are random UUIDs, so URLs reveal nothing about other users' data or volumes.
Face probabilities are one column per emotion, so statistics are plain SQL aggregates.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ml.emotions import EMOTIONS

# The emotions' names for people, translated (context "emotion": "Fear" the noun, not a verb); the codes stay
# the machine-readable values of the API, the exports and the data attributes.
EMOTION_NAMES = {
    "angry": pgettext_lazy("emotion", "Angry"),
    "disgust": pgettext_lazy("emotion", "Disgust"),
    "fear": pgettext_lazy("emotion", "Fear"),
    "happy": pgettext_lazy("emotion", "Happy"),
    "sad": pgettext_lazy("emotion", "Sad"),
    "surprise": pgettext_lazy("emotion", "Surprise"),
    "neutral": pgettext_lazy("emotion", "Neutral"),
}
assert tuple(EMOTION_NAMES) == EMOTIONS, "one name per emotion, in the classes' order"
EMOTION_CHOICES = [(e, EMOTION_NAMES[e]) for e in EMOTIONS]


def emotion_name(code: str) -> str:
    """'happy' -> 'Happy' (or 'Vui' in Vietnamese); an unknown code is shown as it is."""
    return str(EMOTION_NAMES.get(code, code))


def photo_path(instance: Analysis, filename: str) -> str:
    # A fresh random name: neither the user's file name nor the analysis id can be guessed from it.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"photos/{uuid.uuid4().hex}.{suffix}"


def thumbnail_path(instance: Analysis, filename: str) -> str:
    return f"thumbnails/{uuid.uuid4().hex}.jpg"


class CompareStatus(models.TextChoices):
    NONE = "", "Not requested"
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Analysis(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("status", "Pending")
        RUNNING = "running", pgettext_lazy("status", "Running")
        DONE = "done", pgettext_lazy("status", "Done")
        FAILED = "failed", pgettext_lazy("status", "Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="analyses")
    photo = models.FileField(upload_to=photo_path, blank=True)
    thumbnail = models.FileField(upload_to=thumbnail_path, blank=True)
    photo_discarded = models.BooleanField(default=False, help_text=_("The owner chose not to keep photos."))
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
    # Model comparison (docs/explain.md): the models whose predictions each face carries in `Face.predictions`,
    # asked for at upload (`models=`) or later on the result page, and where that work stands.
    compare_models = models.JSONField(default=list, blank=True)
    compare_status = models.CharField(max_length=10, choices=CompareStatus.choices, default="", blank=True)
    compare_error = models.TextField(blank=True)
    compare_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]
        verbose_name_plural = _("analyses")

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
    # The detector's landmarks ([[x, y], ...], ml.faces.LANDMARKS) or null: an aligning detector's crop needs them
    # to be made again exactly (model comparison, heatmaps).
    landmarks = models.JSONField(null=True, blank=True)
    # {model: {"emotion", "confidence", "probabilities": {emotion: p}}} for each of `analysis.compare_models`.
    predictions = models.JSONField(default=dict, blank=True)

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
    faces_seen = models.PositiveIntegerField(default=0, help_text=_("Distinct tracked faces."))
    face_detections = models.PositiveIntegerField(default=0)
    top_emotion = models.CharField(max_length=10, choices=EMOTION_CHOICES, blank=True)
    emotion_counts = models.JSONField(default=dict, help_text=_("Detections per smoothed top emotion."))
    timeline = models.JSONField(default=list, help_text=_("[{t: seconds from start, n: detections, shares: {...}}]"))
    mean_latency_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"live session {self.started_at:%Y-%m-%d %H:%M} ({self.duration_s:.0f} s)"

    @property
    def emotion_shares(self) -> dict[str, float]:
        total = sum(self.emotion_counts.values()) or 1
        return {e: self.emotion_counts.get(e, 0) / total for e in EMOTIONS}


def video_path(instance: Video, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"videos/{uuid.uuid4().hex}.{suffix}"


def annotated_video_path(instance: Video, filename: str) -> str:
    return f"videos/annotated/{uuid.uuid4().hex}.mp4"


class Video(models.Model):
    """An uploaded video file and the state of its analysis; the per-face results are its `tracks`."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("status", "Pending")
        RUNNING = "running", pgettext_lazy("status", "Running")
        DONE = "done", pgettext_lazy("status", "Done")
        FAILED = "failed", pgettext_lazy("status", "Failed")
        CANCELLED = "cancelled", pgettext_lazy("status", "Cancelled")

    class Annotation(models.TextChoices):
        NONE = "", pgettext_lazy("status", "Not requested")
        PENDING = "pending", pgettext_lazy("status", "Pending")
        RUNNING = "running", pgettext_lazy("status", "Running")
        DONE = "done", pgettext_lazy("status", "Done")
        FAILED = "failed", pgettext_lazy("status", "Failed")

    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    file = models.FileField(upload_to=video_path, blank=True)
    file_discarded = models.BooleanField(default=False, help_text=_("The owner chose not to keep files."))
    original_name = models.CharField(max_length=255)
    size_bytes = models.PositiveBigIntegerField(default=0)
    container = models.CharField(max_length=10)
    codec = models.CharField(max_length=16)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    duration_s = models.FloatField()
    source_fps = models.FloatField(null=True, blank=True)
    sample_fps = models.FloatField()
    model_name = models.CharField(max_length=64)
    detector = models.CharField(max_length=16)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    progress = models.FloatField(default=0.0, help_text=_("Share of the sampled frames analysed, 0-1."))
    frames_expected = models.PositiveIntegerField(default=0)
    frames_analysed = models.PositiveIntegerField(default=0)
    track_count = models.PositiveIntegerField(default=0)
    top_emotion = models.CharField(max_length=10, choices=EMOTION_CHOICES, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    timings_ms = models.JSONField(default=dict, blank=True)
    annotated = models.FileField(upload_to=annotated_video_path, blank=True)
    annotated_status = models.CharField(max_length=10, choices=Annotation.choices, default="", blank=True)
    annotated_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text=_("Last progress report of the worker."))
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class VideoTrack(models.Model):
    """One face followed through a video: its summary, and its timeline as one compact JSON document.

    `timeline` holds parallel lists, one entry per sampled frame the face was found in:
    `{"t": [seconds], "box": [[x, y, w, h]], "p": [[7 probabilities, EMOTIONS order]]}`. A track is
    always read whole (the page's overlay, the API, the exports), so one row per track keeps a
    10-minute video of 5 people at 30 samples a second at 5 rows instead of 90,000.
    """

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="tracks")
    number = models.PositiveIntegerField(help_text=_("1, 2, ... in order of first appearance."))
    frames = models.PositiveIntegerField()
    first_t = models.FloatField()
    last_t = models.FloatField()
    emotion = models.CharField(max_length=10, choices=EMOTION_CHOICES, help_text=_("Most frequent top emotion."))
    emotion_counts = models.JSONField(default=dict, help_text=_("Sampled frames per top emotion."))
    mean_probabilities = models.JSONField(default=dict)
    timeline = models.JSONField(default=dict)

    class Meta:
        ordering = ["video", "number"]
        constraints = [models.UniqueConstraint(fields=["video", "number"], name="one_track_per_number")]

    def __str__(self) -> str:
        return f"track {self.number} of {self.video_id}"

    @property
    def shares(self) -> dict[str, float]:
        total = sum(self.emotion_counts.values()) or 1
        return {e: self.emotion_counts.get(e, 0) / total for e in EMOTIONS}
