"""Brute-force protection: repeated failures lock a username+IP pair out for a cool-off period."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

LOGIN = reverse("accounts:login")

pytestmark = pytest.mark.django_db


def fail(client, username="alice", ip="203.0.113.5"):
    return client.post(LOGIN, {"username": username, "password": "wrong-guess"}, REMOTE_ADDR=ip)


def test_lockout_after_the_failure_limit(client, user, password):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert fail(client).status_code == 200

    locked = fail(client)

    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    # Even the right password is refused while locked out.
    response = client.post(LOGIN, {"username": "alice", "password": password}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_and_address(client, user, make_user, password):
    make_user(username="bob")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail(client)

    other_address = client.post(LOGIN, {"username": "alice", "password": password}, REMOTE_ADDR="198.51.100.7")
    other_user = client.post(LOGIN, {"username": "bob", "password": password}, REMOTE_ADDR="203.0.113.5")

    assert other_address.status_code == 302
    assert other_user.status_code == 302


def test_success_before_the_limit_resets_the_count(client, user, password):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        fail(client)
    assert client.post(LOGIN, {"username": "alice", "password": password}, REMOTE_ADDR="203.0.113.5").status_code == 302
    client.logout()

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert fail(client).status_code == 200


def test_lockout_ends_after_the_cool_off(client, user, password):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail(client)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))

    response = client.post(LOGIN, {"username": "alice", "password": password}, REMOTE_ADDR="203.0.113.5")

    assert response.status_code == 302
