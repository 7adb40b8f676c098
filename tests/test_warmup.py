"""Models warm before the first photo: the embedded server loads them in the background at start-up."""

from __future__ import annotations

import threading

import pytest
from django.urls import reverse

from analysis.core import dispatch, warmup

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_warmup(monkeypatch):
    monkeypatch.setattr(warmup, "_ready", threading.Event())
    monkeypatch.setattr(warmup, "_thread", None)


def test_the_in_process_server_warms_up_once_in_the_background(settings, fresh_warmup, monkeypatch):
    settings.FER_TASK_MODE, settings.FER_SERVER_WARMUP = "thread", True
    release = threading.Event()
    calls: list[bool] = []

    def slow_warm_up():
        calls.append(True)
        release.wait(5)
        warmup._ready.set()

    monkeypatch.setattr(warmup, "warm_up", slow_warm_up)
    dispatch.prepare_web_process()
    dispatch.prepare_web_process()  # a second call starts nothing
    assert not dispatch.models_ready()  # returned at once, still loading
    release.set()
    warmup._thread.join(5)
    assert calls == [True] and dispatch.models_ready()


def test_web_processes_of_the_scaled_profile_load_no_model(settings, fresh_warmup, monkeypatch):
    settings.FER_TASK_MODE = "celery"
    monkeypatch.setattr(warmup, "start_in_background", lambda: pytest.fail("a web process must not load models"))
    dispatch.prepare_web_process()
    assert dispatch.models_ready()  # the workers warm up before they take tasks


def test_the_upload_page_says_when_the_model_is_still_loading(client, user, settings, fresh_warmup):
    settings.FER_TASK_MODE = "thread"
    client.force_login(user)
    assert "still loading" in client.get(reverse("analysis:analyze")).content.decode()
    assert client.get(reverse("analysis:status")).json()["models_ready"] is False
    warmup._ready.set()
    assert "still loading" not in client.get(reverse("analysis:analyze")).content.decode()


def test_warm_up_loads_the_default_model_and_detector(fresh_warmup):
    from ml.serving import registry
    from ml.serving.detection import DEFAULT_DETECTOR, _detectors

    warmup.warm_up()
    assert warmup.is_ready()
    assert registry.DEFAULT_MODEL in registry._cache and DEFAULT_DETECTOR in _detectors
