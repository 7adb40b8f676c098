"""API tokens: obtaining, using, listing and revoking them (API and profile page); session auth."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.api_tokens import KEY_PREFIX, token_authenticate, token_create, token_revoke
from accounts.models import ApiToken
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


def test_token_from_username_and_password(anon, user, password):
    response = anon.post(TOKEN_URL, {"username": "alice", "password": password, "name": "laptop"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith(KEY_PREFIX) and body["name"] == "laptop"
    token = ApiToken.objects.get(id=body["id"])
    assert token.user == user and body["token"] not in (token.digest, token.prefix)  # only a digest is stored
    anon.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert anon.get("/api/v1/models/").status_code == 200
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert anon.get("/api/v1/models/").status_code == 200
    assert ApiToken.objects.get(id=body["id"]).last_used_at is not None


def test_wrong_password_and_missing_fields(anon, user):
    wrong = anon.post(TOKEN_URL, {"username": "alice", "password": "nope"}, format="json")
    assert_error(wrong, 401, "invalid_credentials")
    assert wrong["WWW-Authenticate"] == "Token"
    error = assert_error(anon.post(TOKEN_URL, {"username": "alice"}, format="json"), 400, "validation_error")
    assert "password" in error["details"]["fields"]
    assert_error(anon.post(TOKEN_URL, "{not json", content_type="application/json"), 400, "parse_error")
    assert_error(anon.post(TOKEN_URL, "x", content_type="text/plain"), 415, "unsupported_media_type")
    assert_error(anon.get(TOKEN_URL), 405, "method_not_allowed")


def test_repeated_failures_lock_out_in_the_api_shape(anon, user, password, settings):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        anon.post(TOKEN_URL, {"username": "alice", "password": "wrong-password"}, format="json")
    response = anon.post(TOKEN_URL, {"username": "alice", "password": password}, format="json")
    assert_error(response, 429, "locked_out")
    assert not ApiToken.objects.exists()


def test_requests_without_or_with_bad_credentials_get_401(anon, user):
    response = anon.get("/api/v1/analyses/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    anon.credentials(HTTP_AUTHORIZATION="Token fer_not-a-real-key")
    assert_error(anon.get("/api/v1/analyses/"), 401, "authentication_failed")
    anon.credentials(HTTP_AUTHORIZATION="Token too many parts")
    assert_error(anon.get("/api/v1/analyses/"), 401, "authentication_failed")


def test_revoked_token_stops_working(user):
    new = token_create(user=user, name="old")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {new.key}")
    assert client.get("/api/v1/models/").status_code == 200
    assert token_revoke(user=user, token_id=new.token.id)
    assert_error(client.get("/api/v1/models/"), 401, "authentication_failed")
    assert token_authenticate(key=new.key) is None


def test_inactive_users_token_is_refused(user):
    new = token_create(user=user)
    user.is_active = False
    user.save()
    assert token_authenticate(key=new.key) is None


def test_list_and_revoke_tokens_through_the_api(api, user, bob_api, bob):
    token_create(user=user, name="second")
    listed = api.get("/api/v1/auth/tokens/").json()
    assert sorted(t["name"] for t in listed) == ["second", "tests"]
    assert all("token" not in t and "digest" not in t for t in listed)
    second = next(t for t in listed if t["name"] == "second")
    assert_error(bob_api.delete(f"/api/v1/auth/tokens/{second['id']}/"), 404, "not_found")  # not bob's
    assert api.delete(f"/api/v1/auth/tokens/{second['id']}/").status_code == 204
    assert_error(api.delete(f"/api/v1/auth/tokens/{second['id']}/"), 404, "not_found")
    assert [t["name"] for t in bob_api.get("/api/v1/auth/tokens/").json()] == ["tests"]


def test_token_limit(user, monkeypatch):
    import accounts.api_tokens as module

    monkeypatch.setattr(module, "MAX_TOKENS_PER_USER", 1)
    token_create(user=user)
    with pytest.raises(module.TokenLimitReached):
        token_create(user=user)


def test_session_auth_works_for_the_browser_with_csrf(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/analyses/").status_code == 200
    assert_error(client.post("/api/v1/analyses/", {}), 403, "permission_denied")  # no CSRF token


def test_profile_page_creates_lists_and_revokes_tokens(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:token_create"), {"name": "my script", "next": "profile"}, follow=True)
    token = ApiToken.objects.get(user=user)
    page = response.content.decode()
    assert "my script" in page and 'id="new-token-key"' in page
    key = page.split('id="new-token-key">', 1)[1].split("<", 1)[0]
    assert token_authenticate(key=key) == token
    again = client.get(reverse("accounts:profile")).content.decode()
    assert "my script" in again and key not in again  # shown once
    client.post(reverse("accounts:token_revoke", args=[token.id]), {"next": "profile"})
    assert not ApiToken.objects.exists()


def test_profile_cannot_revoke_someone_elses_token(client, user, bob):
    other = token_create(user=bob).token
    client.force_login(user)
    client.post(reverse("accounts:token_revoke", args=[other.id]))
    assert ApiToken.objects.filter(id=other.id).exists()


def test_api_page_shows_examples_with_a_new_token(client, user):
    client.force_login(user)
    page = client.get(reverse("analysis:api")).content.decode()
    assert "http://testserver/api/v1/" in page and "YOUR_TOKEN" in page and "curl" in page
    assert reverse("api:docs") in page and "import requests" in page
    page = client.post(reverse("accounts:token_create"), {"name": "docs", "next": "api"}, follow=True).content.decode()
    key = page.split('id="new-token-key">', 1)[1].split("<", 1)[0]
    assert key.startswith(KEY_PREFIX) and f"Authorization: Token {key}" in page
