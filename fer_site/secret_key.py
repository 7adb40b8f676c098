"""The embedded profile's secret key: generated once, kept in the data folder, readable by its owner only.

Several processes may start at once (`./run` runs migrate, collectstatic and daphne): the key is
written to a private temporary file and linked into place, so every process reads the same whole key.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

PRIVATE = 0o600


def load_or_create(path: Path) -> str:
    """The key stored at `path`, created (mode 0600) the first time; an existing file is made private."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create(path)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(PRIVATE)
    key = path.read_text().strip()
    if len(key) < 50:
        raise ImproperlyConfigured(f"{path} holds no usable secret key (under 50 characters): delete it for a new one")
    return key


def _create(path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50) + "\n")
        try:
            os.link(temporary, path)  # fails if another process got there first: its key is kept
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
