"""Issue 8 pieces that need no real broker: the sweep, the busy answer, time limits, attempt limits."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.management import call_command
from django.utils import timezone
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from accounts.api_tokens import token_create
from analysis.core import services
from analysis.core.tasks import analyse_photo
from analysis.models import Analysis
from tests.analysis_factories import make_analysis
from tests.photos import face_photo, upload


@pytest.fixture
def broker_down(settings, monkeypatch):
    """Celery mode with a broker that refuses every task, as kombu reports Redis being down."""
    settings.FER_TASK_MODE = "celery"

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(analyse_photo, "apply_async", refuse)


@pytest.mark.django_db(transaction=True)
def test_api_upload_while_broker_down_is_busy_and_stores_nothing(user, broker_down, settings):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user, name='t').key}")

    response = client.post("/api/v1/analyses/", {"image": upload("a.jpg", face_photo())}, format="multipart")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "busy"
    assert response["Retry-After"]
    assert Analysis.objects.count() == 0
    photos = settings.MEDIA_ROOT / "photos"
    assert not photos.exists() or not any(photos.iterdir())


@pytest.mark.django_db(transaction=True)
def test_api_answers_busy_when_no_database_connection_is_free(user, monkeypatch):
    from django.db import OperationalError as DatabaseError

    def no_connection(**kwargs):
        raise DatabaseError("couldn't get a connection after 10.00 sec")  # what psycopg's pool reports

    monkeypatch.setattr(services, "analysis_create", no_connection)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user, name='t').key}")

    response = client.post("/api/v1/analyses/", {"image": upload("a.jpg", face_photo())}, format="multipart")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "busy"
    assert "database" in response.json()["error"]["message"]
    assert response["Retry-After"]
    assert Analysis.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_upload_page_while_broker_down_gives_a_per_file_busy_message(client, user, broker_down):
    client.force_login(user)

    response = client.post("/analyze/", {"images": [upload("a.jpg", face_photo())]}, HTTP_ACCEPT="application/json")

    assert response.status_code == 503
    [result] = response.json()["results"]
    assert result["ok"] is False and result["code"] == "busy"
    assert "try again" in result["error"]
    assert Analysis.objects.count() == 0


@pytest.mark.django_db
def test_sweep_fails_stale_analyses_and_discards_unkept_photos(make_user, settings, django_capture_on_commit_callbacks):
    settings.FER_ANALYSIS_TIMEOUT_SECONDS = 60
    owner = make_user()
    private = make_user(keep_photos=False)
    old = timezone.now() - dt.timedelta(minutes=5)
    stuck_pending = make_analysis(owner, status=Analysis.Status.PENDING, created_at=old)
    stuck_running = make_analysis(owner, status=Analysis.Status.RUNNING, created_at=old)
    young = make_analysis(owner, status=Analysis.Status.PENDING)
    unkept = make_analysis(private, status=Analysis.Status.FAILED, photo=True, thumbnail=True)
    kept = make_analysis(owner, photo=True)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.analysis_sweep()

    assert result == {"failed_stale": 2, "photos_discarded": 1, "videos_failed_stale": 0, "videos_discarded": 0}
    for analysis in (stuck_pending, stuck_running):
        analysis.refresh_from_db()
        assert analysis.status == Analysis.Status.FAILED and "did not finish in time" in analysis.error
    young.refresh_from_db()
    assert young.status == Analysis.Status.PENDING
    unkept.refresh_from_db()
    assert not unkept.photo and not unkept.thumbnail and unkept.photo_discarded
    kept.refresh_from_db()
    assert kept.photo


@pytest.mark.django_db
def test_sweep_command_prints_its_counts(capsys):
    call_command("sweep_analyses")

    assert '"failed_stale": 0' in capsys.readouterr().out


@pytest.mark.django_db
def test_soft_time_limit_during_inference_ends_as_failed(user, monkeypatch):
    analysis = make_analysis(user, status=Analysis.Status.PENDING, photo=True)

    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("ml.serving.pipeline.analyse_photo", too_slow)
    analyse_photo.run(str(analysis.id))

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.FAILED
    assert "time limit" in analysis.error


@pytest.mark.django_db
def test_soft_time_limit_outside_inference_still_ends_as_failed(user, monkeypatch):
    analysis = make_analysis(user, status=Analysis.Status.PENDING, photo=True)

    def slow_read(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("analysis.core.services._claim", slow_read)
    analyse_photo.run(str(analysis.id))

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.FAILED and "time limit" in analysis.error


@pytest.mark.django_db
def test_a_task_that_keeps_killing_its_worker_is_failed_not_retried_forever(user, settings):
    settings.FER_ANALYSIS_MAX_ATTEMPTS = 3
    analysis = make_analysis(user, status=Analysis.Status.RUNNING, photo=True)
    Analysis.objects.filter(pk=analysis.pk).update(attempts=3)

    assert services.analysis_process(analysis_id=analysis.id) is None

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.FAILED and "stopped its worker" in analysis.error


def test_celery_routes_and_beat_come_from_settings():
    from fer_site.celery_app import app

    assert app.amqp.router.route({}, "analysis.analyse_photo")["queue"].name == "gpu"
    assert app.amqp.router.route({}, "analysis.live_frame")["queue"].name == "realtime"
    assert app.conf.beat_schedule["analysis-sweep"]["task"] == "analysis.sweep"
    assert app.conf.task_acks_late and app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


@pytest.mark.django_db(transaction=True)
def test_api_batch_while_broker_down_gives_each_file_busy(user, broker_down):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user, name='t').key}")

    response = client.post("/api/v1/analyses/batch/", {"images": [upload("a.jpg", face_photo()),
                                                                   upload("b.jpg", face_photo())]},
                           format="multipart")

    assert response.status_code == 207
    assert [r["status"] for r in response.json()["results"]] == [503, 503]
    assert {r["error"]["code"] for r in response.json()["results"]} == {"busy"}
    assert Analysis.objects.count() == 0
