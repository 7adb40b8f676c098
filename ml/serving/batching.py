"""Batching across callers: faces from many live streams classified in one model call.

Each realtime task (one thread per task, `--pool threads`) submits the faces of its frame; one
background thread per model collects submissions until `max_faces` are waiting, `max_wait_s`
has passed since the first, or every caller that is currently inside a frame has submitted
(then waiting longer could not fill the batch), and classifies them together. This is the
"max batch size + max wait" of BentoML adaptive batching, Triton's dynamic batcher and Ray
Serve's `@serve.batch`, inside the worker process. Only the batcher thread calls the model, so
Keras is never entered by two threads at once.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np


@dataclass
class _Request:
    faces: np.ndarray
    done: threading.Event = field(default_factory=threading.Event)
    result: np.ndarray | None = None
    error: BaseException | None = None


@dataclass
class BatchStats:
    batches: int = 0
    faces: int = 0
    largest: int = 0


class MicroBatcher:
    def __init__(self, predict: Callable[[np.ndarray], np.ndarray], *, max_faces: int, max_wait_s: float,
                 n_classes: int = 7):
        self.predict, self.max_faces, self.max_wait_s, self.n_classes = predict, max_faces, max_wait_s, n_classes
        self.stats = BatchStats()
        self._queue: queue.Queue[_Request] = queue.Queue()
        self._active = 0  # callers between enter and leave: how many submissions can still come
        self._lock = threading.Lock()
        threading.Thread(target=self._run, name="micro-batcher", daemon=True).start()

    @contextlib.contextmanager
    def caller(self) -> Iterator[None]:
        """Wrap one frame's whole processing: lets the batcher stop waiting once every caller submitted."""
        with self._lock:
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1

    def predict_proba(self, faces: np.ndarray, flip: bool = False) -> np.ndarray:
        """Same contract as a classifier's (flip is not supported across callers)."""
        if len(faces) == 0:
            return np.empty((0, self.n_classes), dtype=np.float32)
        request = _Request(faces)
        self._queue.put(request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.result

    def _collect(self) -> list[_Request]:
        batch = [self._queue.get()]
        deadline = time.monotonic() + self.max_wait_s
        count = len(batch[0].faces)
        while count < self.max_faces:
            with self._lock:
                everyone_in = len(batch) >= self._active
            if everyone_in and self._queue.empty():
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                request = self._queue.get(timeout=min(remaining, 0.002 if everyone_in else remaining))
            except queue.Empty:
                continue
            batch.append(request)
            count += len(request.faces)
        return batch

    def _run(self) -> None:
        while True:
            batch = self._collect()
            try:
                out = self.predict(np.concatenate([r.faces for r in batch]))
                start = 0
                for r in batch:
                    r.result, start = out[start : start + len(r.faces)], start + len(r.faces)
            except BaseException as exc:  # every waiter gets the error instead of hanging
                for r in batch:
                    r.error = exc
            finally:
                n = sum(len(r.faces) for r in batch)
                self.stats.batches, self.stats.faces = self.stats.batches + 1, self.stats.faces + n
                self.stats.largest = max(self.stats.largest, n)
                for r in batch:
                    r.done.set()


_batchers: dict[str, MicroBatcher] = {}
_batchers_lock = threading.Lock()


def batcher_for(model: str, *, max_faces: int, max_wait_s: float) -> MicroBatcher:
    """One batcher per model per process (the model itself comes from the registry, loaded once)."""
    from ml.serving.registry import get_classifier

    with _batchers_lock:
        if model not in _batchers:
            classifier = get_classifier(model)
            _batchers[model] = MicroBatcher(classifier.predict_proba, max_faces=max_faces, max_wait_s=max_wait_s)
        return _batchers[model]


def stats_lines() -> list[str]:
    """One line per model batched in this process: faces, batches, mean and largest batch."""
    with _batchers_lock:
        items = sorted(_batchers.items())
    return [
        f"model {model}: {b.stats.faces} faces in {b.stats.batches} batches "
        f"(mean {b.stats.faces / max(1, b.stats.batches):.2f}, largest {b.stats.largest})"
        for model, b in items
    ]
