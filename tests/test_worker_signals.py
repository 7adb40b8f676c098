"""Model warm-up hooks: children of a prefork worker warm up; the prefork parent never loads a model."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from celery.concurrency.prefork import TaskPool as PreforkPool
from celery.concurrency.thread import TaskPool as ThreadPool

from fer_site import worker_signals


@pytest.fixture
def started(monkeypatch) -> list[bool]:
    calls: list[bool] = []
    monkeypatch.setattr(worker_signals, "_start_warm_up", lambda: calls.append(True))
    return calls


def consumer(pool_cls) -> SimpleNamespace:
    return SimpleNamespace(controller=SimpleNamespace(pool_cls=pool_cls))


def test_prefork_parent_does_not_warm_up_its_children_do(started):
    worker_signals._warm_up_unforked(sender=consumer(PreforkPool))
    assert started == []

    worker_signals._warm_up_child()
    assert started == [True]


def test_threads_pool_worker_warms_up_itself(started):
    worker_signals._warm_up_unforked(sender=consumer(ThreadPool))

    assert started == [True]


def test_warm_up_can_be_turned_off(settings, monkeypatch):
    from analysis.core import warmup

    settings.FER_WORKER_WARMUP = False
    starts: list[bool] = []
    monkeypatch.setattr(warmup, "start_in_background", lambda: starts.append(True))

    worker_signals._start_warm_up()

    assert starts == []
