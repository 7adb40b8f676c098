"""The cross-stream micro-batcher, with a stand-in model (no Keras)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from ml.serving.batching import MicroBatcher


class CountingModel:
    """Row i of the output is (face value, batch number): each caller can check it got its own rows."""

    def __init__(self, delay_s: float = 0.0):
        self.calls: list[int] = []
        self.delay_s = delay_s

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        time.sleep(self.delay_s)
        self.calls.append(len(faces))
        out = np.zeros((len(faces), 7), dtype=np.float32)
        out[:, 0] = faces[:, 0, 0]
        out[:, 1] = len(self.calls)
        return out


def faces(value: int, n: int = 1) -> np.ndarray:
    return np.full((n, 48, 48), value, dtype=np.uint8)


def test_concurrent_callers_share_batches_and_get_their_own_rows():
    model = CountingModel(delay_s=0.02)
    batcher = MicroBatcher(model, max_faces=64, max_wait_s=0.5)
    results: dict[int, np.ndarray] = {}
    barrier = threading.Barrier(8)

    def caller(i: int) -> None:
        with batcher.caller():
            barrier.wait()
            results[i] = batcher.predict_proba(faces(i, n=1 + i % 3))

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)

    for i in range(8):
        assert results[i].shape == (1 + i % 3, 7)
        assert (results[i][:, 0] == i).all()
    assert len(model.calls) < 8  # faces of several callers went through one model call
    assert sum(model.calls) == sum(1 + i % 3 for i in range(8))


def test_a_lone_caller_does_not_wait_for_the_batch_window():
    batcher = MicroBatcher(CountingModel(), max_faces=64, max_wait_s=2.0)
    start = time.monotonic()
    with batcher.caller():
        batcher.predict_proba(faces(1))

    assert time.monotonic() - start < 0.5


def test_batch_size_caps_a_batch():
    model = CountingModel(delay_s=0.05)
    batcher = MicroBatcher(model, max_faces=4, max_wait_s=1.0)
    threads = [threading.Thread(target=batcher.predict_proba, args=(faces(i, n=2),)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)

    assert max(model.calls) <= 4 + 2  # one request may top a batch up past the cap, never more
    assert sum(model.calls) == 12


def test_no_faces_never_reaches_the_model_and_errors_reach_every_waiter():
    def broken(batch: np.ndarray) -> np.ndarray:
        raise RuntimeError("model exploded")

    batcher = MicroBatcher(broken, max_faces=8, max_wait_s=0.01)
    assert batcher.predict_proba(np.empty((0, 48, 48), dtype=np.uint8)).shape == (0, 7)
    with pytest.raises(RuntimeError, match="exploded"):
        batcher.predict_proba(faces(1))


def test_stats_lines_report_each_models_batches(monkeypatch):
    from ml.serving import batching

    model = CountingModel()
    batcher = MicroBatcher(model, max_faces=64, max_wait_s=0.1)
    monkeypatch.setattr(batching, "_batchers", {"stand-in": batcher})
    with batcher.caller():
        batcher.predict_proba(faces(1, n=3))
    with batcher.caller():
        batcher.predict_proba(faces(2, n=1))

    (line,) = batching.stats_lines()
    assert line == f"model stand-in: 4 faces in {len(model.calls)} batches (mean {4 / len(model.calls):.2f}, largest 3)"
