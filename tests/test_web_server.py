"""The web process as `./run` and the Procfile start it (`python -m fer_site.serve`: daphne with its
limits aligned with the application's), over real sockets: malformed multipart bodies reach Django
and get the API's JSON error, bodies over the cap get 413 without being kept, and the live socket answers
oversized and non-JSON messages."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.browser.servers import embedded_server
from tests.subprocess_env import REPO_ROOT

pytestmark = pytest.mark.slow
PASSWORD = "serve-Secret-2024-x"
BODY_CAP = 300_000  # FER_MAX_REQUEST_BYTES of this module's server
MALFORMED = {
    "no boundary": ("multipart/form-data", b'--X\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--X--\r\n'),
    "headers never end": ("multipart/form-data; boundary=X",
                          b'--X\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n' + b"A" * 5000),
    "bad boundary": ("multipart/form-data; boundary=\x01", b"--\x01\r\n"),
}


@pytest.fixture(scope="module")
def server_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("serve")


@pytest.fixture(scope="module")
def server(server_dir) -> Iterator[str]:
    with embedded_server(server_dir, {"FER_MAX_REQUEST_BYTES": str(BODY_CAP)}) as url:
        yield url


@pytest.fixture(scope="module")
def account(server) -> dict:
    """A signed-up user: session cookie and API token."""
    http = requests.Session()
    page = http.get(f"{server}/accounts/signup/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    http.post(f"{server}/accounts/signup/", timeout=60, headers={"Referer": f"{server}/accounts/signup/"}, data={
        "csrfmiddlewaretoken": token, "username": "serve", "email": "serve@example.com",
        "password1": PASSWORD, "password2": PASSWORD})
    key = requests.post(f"{server}/api/v1/auth/token/", json={"username": "serve", "password": PASSWORD},
                        timeout=60).json()["token"]
    return {"session": http.cookies["sessionid"], "token": key}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_multipart_gets_the_apis_json_error(server, account, case):
    content_type, body = MALFORMED[case]
    netloc = urlsplit(server).netloc
    conn = http.client.HTTPConnection(netloc, timeout=60)
    conn.putrequest("POST", "/api/v1/analyses/")
    for name, value in (("Authorization", f"Token {account['token']}"), ("Content-Type", content_type),
                        ("Content-Length", str(len(body)))):
        conn.putheader(name, value)
    conn.endheaders(body)
    response = conn.getresponse()
    payload = response.read()

    assert response.status == 400 and payload, payload  # not Twisted's empty 400
    error = json.loads(payload)["error"]
    assert error["code"] == "parse_error" and "multipart/form-data" in error["message"]
    assert "header size" not in error["message"]  # the parser's words go to details, not the message
    assert error["details"]["reason"]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_over_the_cap_gets_413_and_leaves_nothing(server, server_dir, account, declared):
    body = b"--X\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n" + bytes(4 * BODY_CAP)
    conn = http.client.HTTPConnection(urlsplit(server).netloc, timeout=60)
    headers = {"Authorization": f"Token {account['token']}", "Content-Type": "multipart/form-data; boundary=X"}
    if declared:
        conn.request("POST", "/api/v1/analyses/", body=body, headers=headers)
    else:
        chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
        conn.request("POST", "/api/v1/analyses/", body=chunks, headers=headers, encode_chunked=True)
    response = conn.getresponse()
    error = json.loads(response.read())["error"]

    assert response.status == 413 and error["code"] == "request_too_large", error
    assert error["details"]["limit_bytes"] == BODY_CAP
    with sqlite3.connect(server_dir / "db.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM analysis_analysis").fetchone()[0] == 0
    assert requests.get(f"{server}/healthz/", timeout=60).status_code == 200


def _camera_frame() -> bytes:
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from bench_live import camera_frame

    return camera_frame()


def _live_sessions(server_dir: Path) -> int:
    with sqlite3.connect(server_dir / "db.sqlite3") as db:
        return db.execute("SELECT count(*) FROM analysis_livesession").fetchone()[0]


def test_live_socket_answers_big_and_non_json_messages_and_closes_cleanly_on_huge_ones(server, server_dir, account):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    ws_url = server.replace("http://", "ws://") + "/ws/live/"
    frame = _camera_frame()

    async def scenario() -> tuple[list[dict], int | None]:
        seen = []
        async with connect(ws_url, additional_headers={"Cookie": f"sessionid={account['session']}"}, origin=server,
                           max_size=2**22, open_timeout=60) as socket:
            ready = json.loads(await socket.recv())
            limits = ready["limits"]
            await socket.send(b"\xff\xd8\xff" + bytes(int(limits["max_frame_bytes"] * 1.5)))  # over 1 MiB
            seen.append(json.loads(await asyncio.wait_for(socket.recv(), 60)))
            await socket.send("this is not JSON")
            seen.append(json.loads(await asyncio.wait_for(socket.recv(), 60)))
            await socket.send(frame)
            seen.append(json.loads(await asyncio.wait_for(socket.recv(), 180)))  # the first frame loads the model
            await socket.send(b"\xff\xd8\xff" + bytes(limits["max_frame_bytes"] * 9))  # over the transport's limit
            try:
                while True:
                    await asyncio.wait_for(socket.recv(), 60)
            except ConnectionClosed as closed:
                return seen, closed.rcvd.code if closed.rcvd else None

    seen, close_code = asyncio.run(scenario())

    assert seen[0]["type"] == "error" and seen[0]["code"] == "frame_too_large", seen[0]
    assert seen[1]["type"] == "error" and seen[1]["code"] == "invalid_message", seen[1]
    assert seen[2]["type"] == "prediction", seen[2]
    assert close_code == 1009  # a close frame saying "message too big", not a dropped connection
    deadline = time.monotonic() + 30
    while _live_sessions(server_dir) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _live_sessions(server_dir) == 1  # the stream's summary survived the transport's close
