"""Fixtures shared by the scaled-profile tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scaled.harness import PrivateRedis


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of the test's own on a free port, stopped (and restartable) at will."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
