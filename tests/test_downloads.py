"""Download headers of the page and the API: any file name gives a `Content-Disposition` that a
browser reads back as that name (RFC 6266: a quoted ASCII name, or `filename*` in UTF-8)."""

from __future__ import annotations

from email.message import Message

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.api_tokens import token_create
from tests.analysis_factories import make_analysis
from tests.photos import face_photo

pytestmark = pytest.mark.django_db

NAMES = [
    'my "best" photo.jpg',
    "back\\slash; semi=colon.jpg",
    "café à l'été.jpg",  # Latin-1, still not ASCII
    ("улыбка на пляже " * 16)[:251] + ".jpg",  # 255 characters, the longest name an analysis keeps
    "表情" * 120 + ".jpg",
]


def header_filename(response) -> str:
    """The file name a client reads from the header, as Python's e-mail parser (RFC 2231/6266) reads it."""
    value = response["Content-Disposition"]
    assert value.isascii() and "\n" not in value and "=?" not in value, value  # no RFC 2047 words, one line
    message = Message()
    message["Content-Disposition"] = value
    return message.get_filename()


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user).key}")
    return client


@pytest.fixture
def analysis(user):
    analysis = make_analysis(user, faces=["happy"])
    analysis.photo.save("upload.jpg", ContentFile(face_photo()))
    return analysis


@pytest.mark.parametrize("name", NAMES)
def test_page_downloads_keep_the_name(client, user, analysis, name):
    analysis.original_name = name
    analysis.save()
    client.force_login(user)

    photo = client.get(reverse("analysis:photo", args=[analysis.id]))
    annotated = client.get(reverse("analysis:annotated", args=[analysis.id]))

    assert photo.status_code == 200 and header_filename(photo) == name
    assert annotated.status_code == 200 and annotated["Content-Disposition"].startswith("attachment;")
    assert header_filename(annotated) == name.rsplit(".", 1)[0] + "-annotated.jpg"


@pytest.mark.parametrize("name", NAMES)
def test_api_downloads_keep_the_name(api, analysis, name):
    analysis.original_name = name
    analysis.save()

    photo = api.get(reverse("api:analysis-photo", args=[analysis.id]), HTTP_ACCEPT="image/*")
    annotated = api.get(reverse("api:analysis-annotated", args=[analysis.id]))

    assert photo.status_code == 200 and header_filename(photo) == name
    assert annotated.status_code == 200 and annotated["Content-Disposition"].startswith("inline;")
    assert header_filename(annotated) == name.rsplit(".", 1)[0] + "-annotated.jpg"


def test_uploaded_name_with_a_quote_comes_back_intact(client, user, django_capture_on_commit_callbacks):
    """A browser escapes `"` in a multipart file name as %22; the stored and downloaded name is the real one."""
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="images"; filename="my%22quoted%22.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + face_photo() + f"\r\n--{boundary}--\r\n".encode()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("analysis:analyze"), body, HTTP_ACCEPT="application/json",
                               content_type=f"multipart/form-data; boundary={boundary}")
    result = response.json()["results"][0]
    assert result["ok"], result

    photo = client.get(reverse("analysis:photo", args=[result["id"]]))

    assert header_filename(photo) == result["name"]
