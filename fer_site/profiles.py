"""Deployment profile resolution: which backends a given environment selects.

Kept pure (environment mapping in, plain dicts out) so that tests can check the
embedded and scaled profiles without reloading Django settings.

- embedded: nothing set. SQLite under the data folder, tasks run in-process,
  in-memory channel layer, local-memory cache.
- scaled: ``DATABASE_URL`` picks the database (PostgreSQL); ``REDIS_URL`` picks
  the Celery broker and result backend, the channel layer and the cache. Each
  variable switches its own backends, so a half-scaled set-up is possible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import environ

EMBEDDED = "embedded"
POSTGRESQL = "django.db.backends.postgresql"
FAIL_FAST_POSTGRESQL = "fer_site.postgresql"  # Django's backend with a pool that fails fast when the database is down
SCALED = "scaled"


@dataclass(frozen=True)
class Profile:
    name: str
    databases: dict[str, dict[str, Any]]
    caches: dict[str, dict[str, Any]]
    channel_layers: dict[str, dict[str, Any]]
    celery: dict[str, Any] = field(default_factory=dict)

    @property
    def is_embedded(self) -> bool:
        return self.name == EMBEDDED


def _value(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def resolve_databases(env: Mapping[str, str], *, data_dir: Path) -> dict[str, dict[str, Any]]:
    url = _value(env, "DATABASE_URL")
    if url:
        config = environ.Env.db_url_config(url)
        if config["ENGINE"] == POSTGRESQL:
            # An unreachable host must not hang requests: libpq waits this long for a connection (default: forever),
            # and the pool gives up this soon when it can open none (fer_site.postgresql).
            config["ENGINE"] = FAIL_FAST_POSTGRESQL
            config.setdefault("OPTIONS", {})["connect_timeout"] = int(_value(env, "DATABASE_CONNECT_TIMEOUT") or 2)
        pool_size = int(_value(env, "DATABASE_POOL_SIZE") or 10)
        if pool_size and config["ENGINE"] == FAIL_FAST_POSTGRESQL:
            # A psycopg pool per process. Under ASGI every request runs its sync code in a thread of its
            # own, so persistent per-thread connections pile up (50 waiting uploads exhausted PostgreSQL's
            # 100 connections in the load test); pooled ones go back after each request. A request that
            # finds every connection in use waits up to DATABASE_POOL_TIMEOUT seconds for one.
            config["CONN_MAX_AGE"] = 0
            config.setdefault("OPTIONS", {})["pool"] = {
                "min_size": 1, "max_size": pool_size, "timeout": float(_value(env, "DATABASE_POOL_TIMEOUT") or 10),
            }
        else:
            # Reuse connections between requests; 0 keeps Django's per-request behaviour.
            config.setdefault("CONN_MAX_AGE", int(_value(env, "DATABASE_CONN_MAX_AGE") or 60))
            config.setdefault("CONN_HEALTH_CHECKS", True)
        return {"default": config}
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(data_dir / "db.sqlite3"),
            # Several threads (ASGI + in-process tasks) share one file: wait for locks instead of failing.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }


def resolve_caches(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    url = _value(env, "REDIS_URL")
    if url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "fer",
            }
        }
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fer"}}


def resolve_channel_layers(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    url = _value(env, "REDIS_URL")
    if url:
        return {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [url], "prefix": "fer"},
            }
        }
    return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def resolve_celery(env: Mapping[str, str]) -> dict[str, Any]:
    """Celery settings without the ``CELERY_`` prefix (the settings module adds it)."""
    redis_url = _value(env, "REDIS_URL")
    # A separate broker (e.g. RabbitMQ) may be named explicitly; otherwise Redis serves both roles.
    broker = _value(env, "CELERY_BROKER_URL") or redis_url
    backend = _value(env, "CELERY_RESULT_BACKEND") or redis_url
    if broker:
        return {
            "broker_url": broker,
            "result_backend": backend or None,
            "task_always_eager": False,
            "task_eager_propagates": False,
        }
    # No broker: the same task code runs in the calling process.
    return {
        "broker_url": "memory://",
        "result_backend": None,
        "task_always_eager": True,
        "task_eager_propagates": True,
    }


def resolve_profile(env: Mapping[str, str], *, data_dir: Path) -> Profile:
    scaled = any(_value(env, name) for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"))
    return Profile(
        name=SCALED if scaled else EMBEDDED,
        databases=resolve_databases(env, data_dir=data_dir),
        caches=resolve_caches(env),
        channel_layers=resolve_channel_layers(env),
        celery=resolve_celery(env),
    )
