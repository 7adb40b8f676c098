"""A video task on the scaled profile (real PostgreSQL, a private Redis, real Celery workers): a worker
killed while it holds a video, and the broker's redelivery to another worker that analyses it once."""

from __future__ import annotations

import signal
import time

import pytest

from tests.scaled.harness import Database, django_shell, scaled_env, start_worker, wait_for
from tests.scaled.test_faults import MODEL_LOAD_S, database, migrated, processes  # noqa: F401 - fixtures

pytestmark = [pytest.mark.scaled, pytest.mark.slow]

CREATE_VIDEO = """
from django.core.files.uploadedfile import SimpleUploadedFile
from accounts.models import User
from accounts.services import user_create
from analysis.core import dispatch
from analysis.core.video_checks import check_video
from analysis.core.video_services import video_create
from tests.videos import walking_clip
user = User.objects.filter(username="videofault").first() or user_create(
    username="videofault", email="videofault@example.com", password="fault-Secret-2024-x")
checked = check_video(SimpleUploadedFile("walk.mp4", walking_clip(), content_type="video/mp4"))
video = video_create(owner=user, video=checked, model="fast")
dispatch.submit_video(video)
print(video.id)
"""


def _video(db: Database, video_id: str) -> dict | None:
    rows = db.query("SELECT status, error, attempts, track_count, progress FROM analysis_video WHERE id = %s",
                    [video_id])
    if not rows:
        return None
    status, error, attempts, track_count, progress = rows[0]
    tracks = db.query("SELECT count(*), count(DISTINCT number) FROM analysis_videotrack WHERE video_id = %s",
                      [video_id])[0]
    return {"status": status, "error": error, "attempts": attempts, "track_count": track_count,
            "progress": progress, "track_rows": tracks[0], "distinct_numbers": tracks[1]}


def _in(db: Database, video_id: str, statuses: tuple[str, ...]) -> dict | None:
    row = _video(db, video_id)
    return row if row and row["status"] in statuses else None


@pytest.mark.timeout(600)
def test_worker_killed_mid_video_then_a_new_worker_analyses_it_once(migrated, private_redis, processes, tmp_path):  # noqa: F811
    # The broker redelivers after 5 s; a video whose worker has been silent 3 s counts as abandoned.
    env = scaled_env(migrated, private_redis.url, tmp_path, FER_BROKER_VISIBILITY_TIMEOUT="5",
                     FER_BROKER_RESTORE_INTERVAL_S="2", FER_VIDEO_HEARTBEAT_TIMEOUT_S="3")
    doomed = start_worker(env, tmp_path, "doomed", FER_TEST_TASK_DELAY_S="300", FER_WORKER_WARMUP="0")
    processes.append(doomed)
    video_id = django_shell(CREATE_VIDEO, env)

    wait_for(lambda: _in(migrated, video_id, ("running",)), timeout=120,
             what=f"worker to claim the video\n{doomed.output()}")
    doomed.stop(signal.SIGKILL)

    rescuer = start_worker(env, tmp_path, "rescuer")
    processes.append(rescuer)
    row = wait_for(lambda: _in(migrated, video_id, ("done", "failed", "cancelled")), timeout=MODEL_LOAD_S,
                   what=f"the new worker to finish it\n{rescuer.output()}")

    assert row["status"] == "done", row
    assert row["attempts"] == 2 and row["progress"] == 1.0
    assert row["track_count"] == row["track_rows"] == row["distinct_numbers"] == 1  # one set of results
    time.sleep(6)  # past another visibility timeout: nothing redelivers it again
    assert _video(migrated, video_id) == row
