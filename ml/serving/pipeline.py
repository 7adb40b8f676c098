"""One image-to-faces pipeline for photos and live frames: decode, detect, crop, classify.

Photos and frames differ only in their decoder (`ml.serving.images`); detection, framing,
normalisation and one batched classification of all faces of an image are the same code with the
same defaults. Several models can classify the same crops (`also=` on a photo, or
`classify_boxes` on boxes found earlier): one detection, one crop, several classifiers.
The result is one type, `ImageResult` with a `FaceResult` per face; the live
tracker fills in a face's track id and smoothed probabilities on the same type.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ml.emotions import EMOTIONS
from ml.faces import Box, crop_faces, framing_for
from ml.serving.detection import DEFAULT_DETECTOR, get_detector
from ml.serving.images import DEFAULT_MAX_PIXELS, decode_image, decode_jpeg_frame, rgb_to_gray
from ml.serving.registry import DEFAULT_MODEL, get_classifier, uncertain_below

if TYPE_CHECKING:
    from ml.serving.classifiers import Classifier


def _probabilities_dict(values: np.ndarray) -> dict[str, float]:
    return {emotion: round(float(p), 4) for emotion, p in zip(EMOTIONS, values, strict=True)}


@dataclass(frozen=True)
class FaceResult:
    box: Box
    probabilities: np.ndarray  # (7,) float32, this image's
    track_id: int | None = None  # live: the tracker's id for this face
    smoothed: np.ndarray | None = None  # live: mean over the track's recent frames
    uncertain_below: float | None = None  # the model's calibrated threshold (ml.calibrate); None: never uncertain

    @property
    def label_probabilities(self) -> np.ndarray:
        """What the label is read from: the smoothed probabilities when tracked, else this image's."""
        return self.smoothed if self.smoothed is not None else self.probabilities

    @property
    def emotion(self) -> str:
        return EMOTIONS[int(np.argmax(self.label_probabilities))]

    @property
    def confidence(self) -> float:
        return float(np.max(self.label_probabilities))

    @property
    def uncertain(self) -> bool:
        """The label's top probability is under the model's threshold: shown as "uncertain"."""
        return self.uncertain_below is not None and self.confidence < self.uncertain_below

    def tracked(self, track_id: int, smoothed: np.ndarray) -> FaceResult:
        return replace(self, track_id=track_id, smoothed=smoothed)

    def to_dict(self) -> dict:
        data = {
            "box": self.box.to_dict(),
            "probabilities": _probabilities_dict(self.probabilities),
            "emotion": self.emotion,
            "confidence": round(self.confidence, 4),
            "uncertain": self.uncertain,
        }
        if self.track_id is not None:
            data["id"] = self.track_id
        if self.smoothed is not None:
            data["smoothed"] = _probabilities_dict(self.smoothed)
        return data


@dataclass
class ImageResult:
    faces: list[FaceResult]
    width: int
    height: int
    model: str
    detector: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Other models' (N, 7) probabilities for the same faces, in the same order (`analyse_photo(also=...)`).
    also: dict[str, np.ndarray] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "detector": self.detector,
            "width": self.width,
            "height": self.height,
            "faces": [f.to_dict() for f in self.faces],
            "uncertain_below": self.faces[0].uncertain_below if self.faces else None,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImageResult:
        """Back from `to_dict` (a worker's answer through the channel layer); probabilities keep 4 places."""
        faces = [
            FaceResult(Box.from_dict(f["box"]), np.array([f["probabilities"][e] for e in EMOTIONS], dtype=np.float32),
                       uncertain_below=data.get("uncertain_below"))
            for f in data["faces"]
        ]
        return cls(faces, data["width"], data["height"], data["model"], data["detector"], dict(data["timings_ms"]))


# Photos average each face with its mirror image: on PublicTest `fast` gains 0.2 points of accuracy, 0.9 of
# FER+ agreement and a lower calibration error (0.028 against 0.030) for one more pass, about 0.35 ms a face
# (`python -m ml.evaluate --model fast ... [--flip]`; docs/ml.md). Live and video frames stay single-pass.
PHOTO_FLIP = True


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def face_crops(rgb: np.ndarray, boxes: list[Box], detector: str) -> np.ndarray:
    """The (N, 48, 48) grey crops a model sees for `boxes` found by `detector` (ml.faces' framing)."""
    return crop_faces(rgb_to_gray(rgb), boxes, framing_for(detector))


def analyse_rgb(rgb: np.ndarray, *, model: str = DEFAULT_MODEL, detector: str = DEFAULT_DETECTOR,
                flip: bool = False, classifier: Classifier | None = None,
                timings: dict[str, float] | None = None, also: Sequence[str] = (),
                also_out: dict[str, np.ndarray] | None = None) -> list[FaceResult]:
    """Detect and classify every face of an RGB array; all faces go through the model at once.

    `classifier` overrides the registry's (a MicroBatcher that batches across live streams). Each model
    named in `also` classifies the same crops too; its (N, 7) probabilities go into `also_out`.
    """
    timings = timings if timings is not None else {}
    classifier = classifier or get_classifier(model)  # before detection: a wrong name fails fast
    others = {name: get_classifier(name) for name in also}
    started = time.perf_counter()
    boxes = get_detector(detector).detect(rgb)
    timings["detect"] = _elapsed_ms(started)
    started = time.perf_counter()
    crops = face_crops(rgb, boxes, detector)
    probabilities = classifier.predict_proba(crops, flip=flip)
    timings["classify"] = _elapsed_ms(started)
    if others:
        started = time.perf_counter()
        for name, other in others.items():
            if also_out is not None:
                also_out[name] = np.asarray(other.predict_proba(crops, flip=flip), dtype=np.float32)
        timings["classify_also"] = _elapsed_ms(started)
    threshold = uncertain_below(model)
    return [FaceResult(box, np.asarray(p, dtype=np.float32), uncertain_below=threshold)
            for box, p in zip(boxes, probabilities, strict=True)]


def _analyse(decode, source, *, model: str, detector: str, flip: bool, classifier: Classifier | None,
             also: Sequence[str] = ()) -> ImageResult:
    timings: dict[str, float] = {}
    also_out: dict[str, np.ndarray] = {}
    started = time.perf_counter()
    rgb = source if isinstance(source, np.ndarray) else decode(source)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=-1)
    timings["decode"] = _elapsed_ms(started)
    faces = analyse_rgb(rgb, model=model, detector=detector, flip=flip, classifier=classifier, timings=timings,
                        also=also, also_out=also_out)
    timings["total"] = _elapsed_ms(started)
    return ImageResult(faces, rgb.shape[1], rgb.shape[0], model, detector, timings, also_out)


def analyse_photo(source: bytes | str | Path | np.ndarray, *, model: str = DEFAULT_MODEL,
                  detector: str = DEFAULT_DETECTOR, flip: bool = PHOTO_FLIP,
                  max_pixels: int = DEFAULT_MAX_PIXELS, also: Sequence[str] = ()) -> ImageResult:
    """A photo given as encoded bytes, a file path or an RGB array.

    No face found is a result (empty `faces`), not an error. Each model in `also` classifies the same
    crops (`ImageResult.also`). Raises `ImageDecodeError`, `UnknownModelError` or
    `UnknownDetectorError` for bad input.
    """
    return _analyse(lambda data: decode_image(data, max_pixels), source, model=model, detector=detector, flip=flip,
                    classifier=None, also=also)


def decode_photo(source: bytes | str | Path | np.ndarray, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """An RGB array of a photo, decoded as `analyse_photo` decodes it (EXIF rotation, grey to RGB)."""
    rgb = source if isinstance(source, np.ndarray) else decode_image(source, max_pixels)
    return np.repeat(rgb[..., None], 3, axis=-1) if rgb.ndim == 2 else rgb


def stored_face_crops(rgb: np.ndarray, boxes: list[Box], detector: str) -> np.ndarray:
    """The crops of faces found earlier, exactly as their analysis made them.

    An aligning detector's crop needs the box's landmarks; boxes stored without them (before landmarks were
    kept) get them back from detecting again, which gives the same boxes for the same photo and detector.
    """
    if framing_for(detector).align and any(box.landmarks is None for box in boxes):
        found = get_detector(detector).detect(rgb)
        boxes = [_with_landmarks(box, found) for box in boxes]
    return face_crops(rgb, boxes, detector)


def _with_landmarks(box: Box, found: list[Box]) -> Box:
    if box.landmarks is not None or not found:
        return box
    match = max(found, key=box.iou)
    return replace(box, landmarks=match.landmarks) if box.iou(match) >= 0.5 else box


def classify_boxes(source: bytes | str | Path | np.ndarray, boxes: list[Box], *, detector: str,
                   models: Sequence[str], max_pixels: int = DEFAULT_MAX_PIXELS) -> dict[str, np.ndarray]:
    """Each model's (N, 7) probabilities for faces found earlier: the photo is cropped again at the
    stored boxes with the detector's framing, so every model sees exactly the crops the analysis made."""
    classifiers = {name: get_classifier(name) for name in models}  # a wrong name fails before decoding
    crops = stored_face_crops(decode_photo(source, max_pixels), boxes, detector)
    return {name: np.asarray(c.predict_proba(crops, flip=PHOTO_FLIP), dtype=np.float32)
            for name, c in classifiers.items()}


def analyse_frame(jpeg: bytes, *, model: str = DEFAULT_MODEL, detector: str = DEFAULT_DETECTOR,
                  max_pixels: int = DEFAULT_MAX_PIXELS, classifier: Classifier | None = None) -> ImageResult:
    """A live video frame (JPEG bytes): single pass, no flip averaging (the frame budget is tight)."""
    return _analyse(lambda data: decode_jpeg_frame(data, max_pixels), jpeg, model=model, detector=detector,
                    flip=False, classifier=classifier)
