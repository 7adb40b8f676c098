"""The cap on a whole request body (fer_site/body_limit.py), through the ASGI application the server runs."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import ApplicationCommunicator
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from accounts.api_tokens import token_create
from analysis.models import Analysis
from fer_site.body_limit import request_limit
from tests.photos import blank_photo, upload

pytestmark = pytest.mark.django_db


def _post(body_parts: list[bytes], headers: list[tuple[bytes, bytes]]) -> dict:
    """POST the parts as consecutive body messages to the photo API; the response start and body."""
    from fer_site.asgi import application

    scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": "/api/v1/analyses/",
             "raw_path": b"/api/v1/analyses/", "query_string": b"", "scheme": "http",
             "server": ("testserver", 80), "client": ("127.0.0.1", 5000), "headers": headers}

    async def exchange():
        communicator = ApplicationCommunicator(application, scope)
        for i, part in enumerate(body_parts):
            await communicator.send_input({"type": "http.request", "body": part,
                                           "more_body": i < len(body_parts) - 1})
        start = await communicator.receive_output(10)
        body = await communicator.receive_output(10)
        await communicator.wait(10)
        return {"status": start["status"], "body": body["body"]}

    return async_to_sync(exchange)()


@pytest.fixture
def photo_request(user):
    token = token_create(user=user, name="tests").key
    body = encode_multipart(BOUNDARY, {"image": upload("p.jpg", blank_photo())})
    headers = [(b"host", b"testserver"), (b"authorization", f"Token {token}".encode()),
               (b"content-type", MULTIPART_CONTENT.encode())]
    return body, headers


def _refused(response: dict, limit: int) -> None:
    assert response["status"] == 413
    error = json.loads(response["body"])["error"]
    assert error["code"] == "request_too_large" and error["details"]["limit_bytes"] == limit


def test_a_declared_length_over_the_cap_is_refused_unread(photo_request, settings):
    body, headers = photo_request
    settings.FER_MAX_REQUEST_BYTES = len(body) - 1
    response = _post([body], [*headers, (b"content-length", str(len(body)).encode())])
    _refused(response, len(body) - 1)
    assert not Analysis.objects.exists()


def test_a_body_without_a_length_is_cut_off_once_over_the_cap(photo_request, settings):
    body, headers = photo_request
    settings.FER_MAX_REQUEST_BYTES = len(body) // 2
    parts = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    _refused(_post(parts, headers), len(body) // 2)
    assert not Analysis.objects.exists()


@pytest.mark.django_db(transaction=True)  # the view runs in another thread: the token must be committed
def test_a_body_within_the_cap_reaches_the_application(photo_request, settings):
    body, headers = photo_request
    settings.FER_MAX_REQUEST_BYTES = len(body)
    parts = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    response = _post(parts, [*headers, (b"content-length", str(len(body)).encode())])
    assert response["status"] in (201, 202), response["body"][:300]
    assert Analysis.objects.count() == 1


def test_the_default_cap_fits_one_video_or_a_full_batch_of_photos(settings):
    from analysis.core.uploads import MAX_FILES_PER_REQUEST

    settings.FER_MAX_REQUEST_BYTES = 0
    assert request_limit() > settings.FER_MAX_VIDEO_BYTES
    assert request_limit() > MAX_FILES_PER_REQUEST * settings.FER_MAX_UPLOAD_BYTES
