"""Django's PostgreSQL backend (ENGINE `fer_site.postgresql`, set by `fer_site.profiles`), whose pool
tells "every connection is in use" from "the database cannot be reached".

Django's psycopg pool makes a request wait up to the pool timeout (`DATABASE_POOL_TIMEOUT`, 10 s)
for a connection. That wait is right while every connection the pool may open is open and in use:
the database answers, and one comes back within milliseconds to seconds. It is wrong when the
database is down: the pool cannot open any, and every page hung for the full 10 s before its error.
So a request waits the full timeout only while the pool is saturated; otherwise a connection comes
within the connection timeout (`DATABASE_CONNECT_TIMEOUT`, libpq's `connect_timeout`) or not at
all, and the request fails after that (a 503 for the client, `fer_site.error_views`).
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool, PoolTimeout

DEFAULT_CONNECT_TIMEOUT_S = 2.0


class FailFastPool:
    """Django's pool, with `getconn` waiting as described above; everything else is the pool's own."""

    def __init__(self, pool: ConnectionPool, unreachable_wait_s: float):
        self._pool, self._unreachable_wait_s = pool, unreachable_wait_s

    def __getattr__(self, name: str):
        return getattr(self._pool, name)

    def _saturated(self) -> bool:
        stats = self._pool.get_stats()
        return stats["pool_size"] >= stats["pool_max"]  # opened or being opened: all it may have

    def getconn(self, timeout: float | None = None):
        if timeout is not None:
            return self._pool.getconn(timeout)
        deadline = time.monotonic() + self._pool.timeout
        if not self._saturated():
            try:
                return self._pool.getconn(min(self._unreachable_wait_s, self._pool.timeout))
            except PoolTimeout:
                if not self._saturated():  # still no connection could be opened: unreachable
                    raise
        return self._pool.getconn(max(0.001, deadline - time.monotonic()))


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> FailFastPool | None:
        pool = super().pool  # Django's own, one per process and alias
        if pool is None:
            return None
        wait = float(self.settings_dict["OPTIONS"].get("connect_timeout") or DEFAULT_CONNECT_TIMEOUT_S)
        return FailFastPool(pool, wait)
