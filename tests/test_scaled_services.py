"""The scaled profile against this machine's real PostgreSQL and Redis (no mocks).

Runs Django in a child process with DATABASE_URL and REDIS_URL set, on a fresh database that
is dropped afterwards. These tests fail, never skip, when a service is down: CI provides both.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
import redis

from tests.subprocess_env import clean_env, run_python

pytestmark = [pytest.mark.scaled, pytest.mark.slow]

# The maintenance database is used only to create and drop the throwaway test database.
POSTGRES_ADMIN_URL = os.environ.get("FER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("FER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _require_services() -> None:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=5):
            pass
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} (start it as .ci/run does): {exc}")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} (start it as .ci/run does): {exc}")


def _manage(*args: str, env: dict[str, str]) -> None:
    result = run_python("manage.py", *args, env=env, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stderr}")


@pytest.fixture(scope="module")
def scaled_env(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A migrated throwaway PostgreSQL database plus Redis, in the production (DEBUG off) configuration."""
    _require_services()
    name = f"fer_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = clean_env(
        DATABASE_URL=urlsplit(POSTGRES_ADMIN_URL)._replace(path=f"/{name}").geturl(),
        REDIS_URL=REDIS_URL,
        DEBUG="0",
        SECRET_KEY="scaled-profile-test-" + uuid.uuid4().hex,
        ALLOWED_HOSTS="testserver,localhost",
        STATIC_ROOT=str(tmp_path_factory.mktemp("static")),
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
    )
    try:
        _manage("migrate", "--noinput", env=env)
        # DEBUG off serves hashed static files from a manifest, as a deployment would.
        _manage("collectstatic", "--noinput", "-v0", env=env)
        yield env
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_all_migrations_apply_on_postgresql(scaled_env):
    result = run_python("manage.py", "migrate", "--check", env=scaled_env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_scaled_profile_uses_real_postgres_and_redis(scaled_env):
    result = run_python("tests/scaled_probe.py", env=scaled_env, timeout=300)
    assert result.returncode == 0, result.stderr
    observed = json.loads(result.stdout.strip().splitlines()[-1])

    assert observed["profile"] == "scaled"
    # PostgreSQL: an account created through the service and through the sign-up page.
    assert observed["vendor"] == "postgresql"
    assert observed["user_roundtrip"] == "probe@example.com"
    assert observed["password_hasher"] == "argon2"
    assert observed["signup_status"] == 302
    assert observed["analyze_after_signup"] == 200
    assert observed["users"] == 2
    # Redis: Django's cache and the Channels layer.
    assert observed["cache_backend"] == "django.core.cache.backends.redis.RedisCache"
    assert observed["cache_value"] == {"answer": 42}
    assert observed["layer"] == "channels_redis.core.RedisChannelLayer"
    assert observed["layer_message"] == {"type": "probe.message", "text": "hello"}
    # Celery: a real broker connection, tasks not run in-process.
    assert observed["celery_eager"] is False
    assert observed["celery_broker"] == REDIS_URL
    assert "redis" in observed["celery_transport"].lower()
