"""Errors outside the views: branded pages for people, JSON under /api/ and for /healthz/, and a 503
(not a 500) when the database or Redis cannot be reached (fer_site.error_views)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import reverse

from analysis.api.views.catalogue import ModelListView
from analysis.web.views.history import HistoryView
from fer_site.views import LandingView
from tests.analysis_factories import make_analysis

pytestmark = pytest.mark.django_db

TECHNICAL_PAGE_MARKERS = ("URLconf", "Traceback", "DEBUG = True", "Request Method", "django.core")


def assert_branded(response, status: int, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert heading in html and "FER platform" in html, html[:500]
    assert not any(marker in html for marker in TECHNICAL_PAGE_MARKERS), html[:2000]
    return html


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


@pytest.fixture
def quiet_client() -> Client:
    """A client that returns the 500 response instead of re-raising the view's exception."""
    return Client(raise_request_exception=False)


def test_mistyped_url_is_a_branded_404_that_lists_nothing(client):
    html = assert_branded(client.get("/no-such-page/"), 404, "There is nothing here")

    assert "admin/" not in html and "api/v1/" not in html  # no URL patterns


def test_another_users_analysis_is_the_same_404(client, user, make_user):
    theirs = make_analysis(make_user(username="mallory"))
    client.force_login(user)

    html = assert_branded(client.get(reverse("analysis:detail", args=[theirs.id])), 404, "There is nothing here")

    assert "Analyze a photo" in html  # the signed-in layout: the way back
    assert str(theirs.id) not in html.replace(f"/analyses/{theirs.id}/", "")


def test_api_paths_answer_json_for_every_method(client):
    for method in ("get", "post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/no-such-endpoint/")
        assert_json_error(response, 404, "not_found")


def test_unexpected_fault_is_a_branded_500_page(quiet_client, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(LandingView, "get", crash)

    assert_branded(quiet_client.get(reverse("landing")), 500, "Something went wrong on our side")


def test_unexpected_fault_in_the_api_is_json(quiet_client, user, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(ModelListView, "get", crash)
    quiet_client.force_login(user)

    error = assert_json_error(quiet_client.get(reverse("api:models")), 500, "server_error")

    assert "a bug" not in error["message"]


@pytest.mark.parametrize("exc", [OperationalError("connection refused"), InterfaceError("connection already closed")])
def test_unreachable_database_under_a_page_is_a_503(quiet_client, user, monkeypatch, exc):
    def unreachable(*args, **kwargs):
        raise exc

    monkeypatch.setattr(HistoryView, "get", unreachable)
    quiet_client.force_login(user)

    response = quiet_client.get(reverse("analysis:history"))

    assert_branded(response, 503, "The service is unavailable for a moment")
    assert int(response["Retry-After"]) > 0


def test_unreachable_database_in_middleware_is_a_503(quiet_client, user, monkeypatch):
    """The session is read by middleware, before any view: the same 503."""
    from django.contrib.sessions.backends.db import SessionStore

    quiet_client.force_login(user)

    def unreachable(self, *args, **kwargs):
        raise OperationalError("couldn't get a connection after 2.00 sec")

    monkeypatch.setattr(SessionStore, "load", unreachable)

    assert_branded(quiet_client.get(reverse("analysis:history")), 503, "The service is unavailable")


def test_healthz_answers_json_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import connection

    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", unreachable)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503 and response.json() == {"status": "unavailable", "database": "unreachable"}
    assert int(response["Retry-After"]) > 0


def test_expired_form_is_a_branded_403_not_djangos_csrf_page(user, password):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("accounts:login"), {"username": user.username, "password": password})

    assert_branded(response, 403, "This form has expired")


def test_permission_denied_is_branded(quiet_client, user, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionDenied

    monkeypatch.setattr(HistoryView, "get", refuse)
    quiet_client.force_login(user)

    assert_branded(quiet_client.get(reverse("analysis:history")), 403, "You are not allowed to do this")


def test_unknown_host_is_a_branded_400(client):
    assert_branded(client.get("/", HTTP_HOST="evil.example"), 400, "The request could not be understood")
    assert_json_error(client.get("/api/v1/models/", HTTP_HOST="evil.example"), 400, "bad_request")


def test_500_and_503_pages_render_without_a_request_or_database():
    from django.template import loader

    for name, text in (("500.html", "Something went wrong"), ("503.html", "unavailable for a moment")):
        html = loader.get_template(name).render()
        assert text in html and "/static/" not in html  # self-contained: no stylesheet to fetch


def test_malformed_upload_to_the_page_is_the_branded_400(client, user):
    client.force_login(user)

    response = client.generic("POST", reverse("analysis:analyze"), b"--X\r\nnot multipart at all",
                              content_type="multipart/form-data")  # no boundary

    assert_branded(response, 400, "The request could not be understood")
