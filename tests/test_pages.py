"""Landing page content and the ASGI application."""

import pytest
from asgiref.sync import async_to_sync
from channels.routing import ProtocolTypeRouter
from channels.testing import HttpCommunicator
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_landing_says_what_a_prediction_is(client):
    html = client.get(reverse("landing")).content.decode()

    assert "estimate from facial appearance, not a reading of inner feelings" in html
    for emotion in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"):
        assert emotion in html


def test_landing_offers_sign_up_and_sign_in(client):
    html = client.get(reverse("landing")).content.decode()

    assert f'href="{reverse("accounts:signup")}"' in html
    assert f'href="{reverse("accounts:login")}"' in html


def test_landing_for_signed_in_user_points_to_analyze(client, user):
    client.force_login(user)

    html = client.get(reverse("landing")).content.decode()

    assert f'href="{reverse("analysis:analyze")}"' in html
    assert f'href="{reverse("accounts:signup")}"' not in html


def test_stylesheet_is_served(client):
    response = client.get("/static/css/site.css")

    assert response.status_code == 200
    assert b"--accent" in b"".join(response.streaming_content)


def test_asgi_application_routes_http_and_websocket():
    from fer_site.asgi import application

    assert isinstance(application, ProtocolTypeRouter)
    assert set(application.application_mapping) == {"http", "websocket"}


def test_asgi_application_serves_the_landing_page():
    from fer_site.asgi import application

    communicator = HttpCommunicator(application, "GET", "/", headers=[(b"host", b"testserver")])
    response = async_to_sync(communicator.get_response)()

    assert response["status"] == 200
    assert b"Find every face" in response["body"]


def test_health_check(client):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}
