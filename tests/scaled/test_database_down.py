"""An unreachable database: pages answer the branded 503, `/healthz/` and the API a JSON 503, within
a few seconds (it was a 500 after the pool's 10 s). Against a real daphne pointed at a closed port,
and the pool of `fer_site.postgresql` against the real PostgreSQL of this machine (busy is not down)."""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid

import pytest
from psycopg_pool import ConnectionPool, PoolTimeout

from fer_site.postgresql.base import FailFastPool
from tests.scaled.harness import start_web
from tests.subprocess_env import clean_env, run_python

pytestmark = [pytest.mark.scaled, pytest.mark.slow]

LIVE = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=2"
CLOSED_PORT = "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=2"


def pool(conninfo: str, *, max_size: int, timeout: float) -> ConnectionPool:
    return ConnectionPool(conninfo, min_size=1, max_size=max_size, timeout=timeout, open=True)


def test_unreachable_database_fails_within_the_connection_timeout():
    with pool(CLOSED_PORT, max_size=4, timeout=10) as raw:
        started = time.monotonic()
        with pytest.raises(PoolTimeout):
            FailFastPool(raw, unreachable_wait_s=1.0).getconn()

        assert time.monotonic() - started < 4  # not the pool's 10 s


def test_busy_database_waits_for_a_connection_to_come_back():
    with pool(LIVE, max_size=2, timeout=8) as raw:
        fast = FailFastPool(raw, unreachable_wait_s=0.5)
        held = [fast.getconn(), fast.getconn()]  # every connection the pool may open is in use
        threading.Timer(2.0, raw.putconn, [held.pop()]).start()
        started = time.monotonic()

        connection = fast.getconn()  # waits past the 0.5 s for the one coming back

        assert time.monotonic() - started >= 1.5
        assert connection.execute("SELECT 1").fetchone() == (1,)
        raw.putconn(connection)
        raw.putconn(held.pop())


def test_growing_pool_hands_out_new_connections_at_once():
    with pool(LIVE, max_size=4, timeout=8) as raw:
        fast = FailFastPool(raw, unreachable_wait_s=2.0)
        connections = [fast.getconn() for _ in range(4)]

        assert all(c.execute("SELECT 1").fetchone() == (1,) for c in connections)
        for c in connections:
            raw.putconn(c)


def _get(port: int, path: str, *, method: str = "GET", headers: dict | None = None, body: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.monotonic()
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response, response.read().decode(errors="replace"), time.monotonic() - started


def test_pages_healthz_and_api_answer_503_quickly_with_the_database_down(tmp_path):
    env = clean_env(DATABASE_URL="postgres://postgres@127.0.0.1:1/fer", DEBUG="0", SECRET_KEY=uuid.uuid4().hex * 2,
                    ALLOWED_HOSTS="127.0.0.1", FER_DATA_DIR=str(tmp_path), STATIC_ROOT=str(tmp_path / "static"))
    assert run_python("manage.py", "collectstatic", "--noinput", "-v0", env=env).returncode == 0  # as run_scaled.sh
    web, port = start_web(env, tmp_path, healthy_status=503)
    try:
        session = {"Cookie": "sessionid=" + "x" * 32}  # a signed-in browser: the session is read from the database
        page, html, page_s = _get(port, "/history/", headers=session)
        login, login_html, login_s = _get(port, "/accounts/login/", method="POST", body="username=a&password=b",
                                          headers={"Content-Type": "application/x-www-form-urlencoded", **session})
        health, health_body, health_s = _get(port, "/healthz/")
        api, api_body, api_s = _get(port, "/api/v1/analyses/", headers={"Authorization": "Token fer_" + "x" * 43})
    except OSError:
        raise AssertionError(web.output()) from None
    finally:
        web.stop()

    assert page.status == 503 and "The service is unavailable for a moment" in html, html[:500]
    assert int(page.getheader("Retry-After")) > 0
    assert login.status == 503, login_html[:300]  # its CSRF failure page reads the session: the same 503
    assert health.status == 503 and json.loads(health_body)["status"] == "unavailable"
    assert api.status == 503 and json.loads(api_body)["error"]["code"] == "busy"
    assert max(page_s, login_s, health_s, api_s) < 5, (page_s, login_s, health_s, api_s)  # the pool waited 10 s
