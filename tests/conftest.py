"""Shared fixtures for the web test suite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation

from accounts.models import User
from accounts.services import user_create

STRONG_PASSWORD = "correct-Horse-battery-9"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> Path:
    """Keep uploads made by tests out of var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _tasks_in_caller(settings) -> None:
    """Analyses run in the test's own thread (the embedded server uses a thread pool instead)."""
    settings.FER_TASK_MODE = "eager"


@pytest.fixture(autouse=True)
def _clear_cache(settings) -> None:
    # The local-memory cache outlives a test's database transaction. A shared (Redis) cache is
    # left alone: clearing it would flush data that is not the suite's.
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        cache.clear()


@pytest.fixture(autouse=True)
def _default_language_between_tests():
    """A request in Vietnamese leaves its thread in Vietnamese (LocaleMiddleware activates, nothing resets):
    each test starts in the default language."""
    yield
    translation.deactivate()


@pytest.fixture
def password() -> str:
    return STRONG_PASSWORD


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(*, username: str | None = None, password: str = STRONG_PASSWORD, **fields) -> User:
        n = next(counter)
        username = username or f"user{n}"
        user = user_create(username=username, email=fields.pop("email", f"{username}@example.com"), password=password)
        for name, value in fields.items():
            setattr(user, name, value)
        if fields:
            user.save()
        return user

    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user(username="alice")
