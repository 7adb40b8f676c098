"""Fault tests of the scaled profile: real PostgreSQL, a private real Redis, real Celery workers and daphne.

Each test starts its own processes (in their own process groups) and stops them; none touches
the machine's shared Redis. They fail, never skip, when PostgreSQL or redis-server is missing.
"""

from __future__ import annotations

import http.client
import json
import signal
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.photos import face_photo
from tests.scaled.harness import (
    CREATE_ANALYSIS,
    Database,
    Process,
    django_shell,
    scaled_env,
    start_web,
    start_worker,
    wait_for,
)

pytestmark = [pytest.mark.scaled, pytest.mark.slow]
# Worker start-up imports Keras on a busy machine: generous, but every wait is bounded.
MODEL_LOAD_S = 240


@pytest.fixture(scope="module")
def database() -> Iterator[Database]:
    db = Database()
    yield db
    db.drop()


@pytest.fixture(scope="module")
def migrated(database: Database, tmp_path_factory) -> Database:
    tmp = tmp_path_factory.mktemp("migrate")
    database.create(scaled_env(database, "redis://127.0.0.1:1/0", tmp))  # migrate needs no Redis
    return database


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.stop(signal.SIGKILL)


def _running(db: Database, analysis_id: str):
    row = db.analysis(analysis_id)
    return row if row and row["status"] == "running" else None


def _finished(db: Database, analysis_id: str):
    row = db.analysis(analysis_id)
    return row if row and row["status"] in ("done", "failed") else None


@pytest.mark.timeout(600)
def test_worker_killed_mid_analysis_then_a_new_worker_finishes_it_exactly_once(
        migrated, private_redis, processes, tmp_path):
    # A short visibility timeout so the broker redelivers the dead worker's task within the test.
    env = scaled_env(migrated, private_redis.url, tmp_path, FER_BROKER_VISIBILITY_TIMEOUT="5",
                     FER_BROKER_RESTORE_INTERVAL_S="2")
    doomed = start_worker(env, tmp_path, "doomed", FER_TEST_TASK_DELAY_S="300", FER_WORKER_WARMUP="0")
    processes.append(doomed)
    analysis_id = django_shell(CREATE_ANALYSIS, env)

    wait_for(lambda: _running(migrated, analysis_id), timeout=120, what=f"worker to claim it\n{doomed.output()}")
    doomed.stop(signal.SIGKILL)  # the whole worker: main process and its pool child
    assert migrated.analysis(analysis_id)["status"] == "running"

    rescuer = start_worker(env, tmp_path, "rescuer")
    processes.append(rescuer)
    row = wait_for(lambda: _finished(migrated, analysis_id), timeout=MODEL_LOAD_S,
                   what=f"the new worker to finish it\n{rescuer.output()}")

    assert row["status"] == "done", row
    assert row["attempts"] == 2  # claimed by the killed worker, then by the new one
    assert row["face_count"] >= 1
    assert row["face_rows"] == row["distinct_indexes"] == row["face_count"]  # no duplicated faces
    time.sleep(6)  # past another visibility timeout: nothing redelivers it again
    assert migrated.analysis(analysis_id) == row


@pytest.mark.timeout(300)
def test_worker_that_never_comes_back_ends_failed_with_a_reason(migrated, private_redis, processes, tmp_path):
    env = scaled_env(migrated, private_redis.url, tmp_path, FER_ANALYSIS_TIMEOUT_SECONDS="3")
    lost = start_worker(env, tmp_path, "lost", FER_TEST_TASK_DELAY_S="300", FER_WORKER_WARMUP="0")
    processes.append(lost)
    analysis_id = django_shell(CREATE_ANALYSIS, env)
    wait_for(lambda: _running(migrated, analysis_id), timeout=120, what=f"worker to claim it\n{lost.output()}")
    lost.stop(signal.SIGKILL)
    time.sleep(3.5)

    sweep = json.loads(django_shell("from django.core.management import call_command; "
                                    "call_command('sweep_analyses')", env))

    assert sweep["failed_stale"] >= 1
    row = migrated.analysis(analysis_id)
    assert row["status"] == "failed"
    assert "did not finish in time" in row["error"]


# --- Redis down while uploads arrive --------------------------------------------------------------


def _upload(port: int, token: str) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="face.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n").encode() + face_photo() + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/v1/analyses/", body=body, headers={
        "Authorization": f"Token {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data or b"{}")


def _analysis_count(db: Database) -> int:
    return db.query("SELECT count(*) FROM analysis_analysis")[0][0]


@pytest.mark.timeout(300)
def test_redis_down_uploads_get_busy_and_recover_when_it_returns(migrated, private_redis, processes, tmp_path):
    env = scaled_env(migrated, private_redis.url, tmp_path)
    token = django_shell(
        "from accounts.models import User; from accounts.services import user_create; "
        "from accounts.api_tokens import token_create; "
        "u = User.objects.filter(username='busy').first() or user_create(username='busy', "
        "email='busy@example.com', password='busy-Secret-2024-x'); print(token_create(user=u, name='t').key)", env)
    web, port = start_web(env, tmp_path)
    processes.append(web)
    status, body = _upload(port, token)
    assert status == 202, body
    before = _analysis_count(migrated)
    photos = tmp_path / "media" / "photos"
    photos_before = len(list(photos.iterdir()))

    private_redis.stop()
    answers = [_upload(port, token) for _ in range(3)]

    for status, body in answers:
        assert status == 503, body
        assert body["error"]["code"] == "busy"
        assert "try again" in body["error"]["message"]
    assert _analysis_count(migrated) == before  # no half-created analysis
    assert len(list(photos.iterdir())) == photos_before  # and no orphaned photo file

    private_redis.start()  # same port, empty: the site reconnects by itself
    status, body = _upload(port, token)

    assert status == 202 and body["status"] == "pending", body
    assert _analysis_count(migrated) == before + 1
    assert "Internal Server Error" not in web.output()
