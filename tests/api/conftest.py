"""Fixtures of the REST API tests: clients authenticated with a real API token."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.api_tokens import token_create


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def make_client():
    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user, name='tests').key}")
        return client

    return make


@pytest.fixture
def api(make_client, user) -> APIClient:
    """`user` (alice), authenticated with a token."""
    return make_client(user)


@pytest.fixture
def bob(make_user):
    return make_user(username="bob")


@pytest.fixture
def bob_api(make_client, bob) -> APIClient:
    return make_client(bob)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]
