"""Examples shown in the OpenAPI schema (Swagger UI / Redoc)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from fer_site.api.errors import error_body
from fer_site.api.schema import error_example as _error

_ID = "3f6c1f0e-8d2a-4b7e-9a51-2c4d8e7b9a10"
_URL = f"http://127.0.0.1:8000/api/v1/analyses/{_ID}/"
_PROBS = {"angry": 0.012, "disgust": 0.001, "fear": 0.018, "happy": 0.902, "sad": 0.021, "surprise": 0.019,
          "neutral": 0.027}
_DONE = {
    "id": _ID,
    "url": _URL,
    "status": "done",
    "error": "",
    "original_name": "team.jpg",
    "image_format": "JPEG",
    "width": 640,
    "height": 480,
    "model": "fast",
    "detector": "blazeface",
    "face_count": 1,
    "top_emotion": "happy",
    "faces": [
        {"index": 0, "box": {"x": 262, "y": 131, "w": 118, "h": 118}, "detector_score": 1.0, "emotion": "happy",
         "confidence": 0.902, "uncertain": False, "probabilities": _PROBS, "predictions": {}},
    ],
    "timings_ms": {"decode": 3.1, "detect": 21.4, "classify": 9.8, "total": 35.2},
    "created_at": "2026-11-28T09:15:02.114Z",
    "started_at": "2026-11-28T09:15:02.120Z",
    "finished_at": "2026-11-28T09:15:02.161Z",
    "photo_kept": True,
    "photo_url": f"{_URL}photo/",
    "annotated_url": f"{_URL}annotated/",
    "models": [],
    "compare_status": "",
}
_PENDING = {**_DONE, "status": "pending", "face_count": 0, "top_emotion": "", "faces": [], "timings_ms": {},
            "started_at": None, "finished_at": None, "annotated_url": None}


_VGG_PROBS = {"angry": 0.031, "disgust": 0.002, "fear": 0.041, "happy": 0.771, "sad": 0.038, "surprise": 0.022,
              "neutral": 0.095}
_COMPARED = {**_DONE, "models": ["fast", "vgg16"], "compare_status": "done", "faces": [
    {**_DONE["faces"][0], "predictions": {
        "fast": {"emotion": "happy", "confidence": 0.902, "probabilities": _PROBS},
        "vgg16": {"emotion": "happy", "confidence": 0.771, "probabilities": _VGG_PROBS},
    }},
]}

ANALYSIS_DONE = OpenApiExample("Finished analysis", value=_DONE, response_only=True)
ANALYSIS_COMPARED = OpenApiExample("Finished, with models=fast,vgg16", value=_COMPARED, response_only=True)
ANALYSIS_PENDING = OpenApiExample("Still pending", value=_PENDING, response_only=True)
BATCH_RESULT = OpenApiExample(
    "One good file, one bad",
    value={"results": [
        {"index": 0, "name": "team.jpg", "status": 202, "analysis": _PENDING},
        {"index": 1, "name": "notes.txt", "status": 400,
         **error_body("invalid_image", "This is not an image file (JPEG, PNG or WebP).")},
    ]},
    response_only=True,
)
INVALID_IMAGE = _error("Not an image", "invalid_image", "This is not an image file (JPEG, PNG or WebP).")
EMPTY_FILE = _error("Empty file", "empty_file", "The file is empty.")
UNKNOWN_MODEL = _error("Unknown model", "unknown_model", "Unknown model 'vgg99'; choose one of: fast.")
IMAGE_TOO_LARGE = _error("Too large", "image_too_large", "The file (12.4 MB) is over the 10 MB limit.")
UNSUPPORTED_FORMAT = _error("GIF", "unsupported_format",
                            "GIF images are not accepted; use JPEG, PNG or WebP.")
PHOTO_NOT_KEPT = _error("Photo not kept", "photo_not_kept",
                        "The original photo was not kept (photos are deleted once analysed).")
MODELS = OpenApiExample(
    "Models",
    value=[{"name": "fast", "arch": "fast", "description": "Compact CNN for CPUs and live use.",
            "input": {"size": 48, "channels": 1}, "accuracy": 0.61,
            "per_class": {"angry": 0.52, "disgust": 0.31, "fear": 0.38, "happy": 0.85, "sad": 0.47,
                          "surprise": 0.76, "neutral": 0.6},
            "metrics": {}, "default": True, "label": "Fast: 63% on FER2013 test faces", "quality": "ok",
            "quality_reason": None, "ece": 0.026, "temperature": 1.12, "uncertain_below": 0.5}],
    response_only=True,
)
STATS = OpenApiExample(
    "Statistics",
    value={
        "range": {"start": "2026-10-30", "end": "2026-11-28", "period": "30",
                  "description": "30 Oct 2026 to 28 Nov 2026"},
        "headline": {"analyses": 12, "done": 11, "no_face": 1, "failed": 1, "in_progress": 0, "faces": 17},
        "per_emotion": [{"emotion": "happy", "faces": 9, "mean_confidence": 0.81}],
        "per_model": [{"model": "fast", "analyses": 11, "faces": 17, "mean_confidence": 0.74}],
        "over_time": {"group": "day", "periods": ["2026-11-27", "2026-11-28"],
                      "series": {"happy": [4, 5]}, "totals": [4, 5]},
    },
    response_only=True,
)
INVALID_CURSOR = _error("Unknown cursor", "invalid_cursor", "No page at this cursor; use the `next`/`previous` links "
                        "as given.", {"fields": {"cursor": ["Invalid cursor."]}})
