"""Which backends each environment resolves to (fer_site.profiles), without reloading settings."""

from pathlib import Path

from django.conf import settings

from fer_site.celery_app import app as celery_app
from fer_site.profiles import EMBEDDED, SCALED, resolve_profile

DATA_DIR = Path("/srv/fer-data")
PG_URL = "postgres://fer:secret@db.internal:5432/fer"
REDIS_URL = "redis://cache.internal:6379/0"


def test_nothing_set_resolves_to_embedded():
    profile = resolve_profile({}, data_dir=DATA_DIR)

    assert profile.name == EMBEDDED
    db = profile.databases["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(DATA_DIR / "db.sqlite3")
    assert profile.caches["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert profile.channel_layers["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert profile.celery["task_always_eager"] is True
    assert profile.celery["broker_url"] == "memory://"


def test_empty_values_count_as_unset():
    profile = resolve_profile({"DATABASE_URL": "", "REDIS_URL": "  "}, data_dir=DATA_DIR)

    assert profile.name == EMBEDDED


def test_database_and_redis_urls_resolve_to_scaled():
    profile = resolve_profile({"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL}, data_dir=DATA_DIR)

    assert profile.name == SCALED
    db = profile.databases["default"]
    assert db["ENGINE"] == "fer_site.postgresql"  # Django's backend, its pool failing fast when the database is down
    assert (db["NAME"], db["USER"], db["HOST"], db["PORT"]) == ("fer", "fer", "db.internal", 5432)
    assert profile.caches["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "fer",
    }
    layer = profile.channel_layers["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert layer["CONFIG"]["hosts"] == [REDIS_URL]
    assert profile.celery == {
        "broker_url": REDIS_URL,
        "result_backend": REDIS_URL,
        "task_always_eager": False,
        "task_eager_propagates": False,
    }


def test_postgresql_connections_are_pooled_per_process():
    db = resolve_profile({"DATABASE_URL": PG_URL, "DATABASE_POOL_SIZE": "7"}, data_dir=DATA_DIR).databases["default"]

    assert db["CONN_MAX_AGE"] == 0  # Django refuses persistent connections with a pool
    assert db["OPTIONS"]["pool"]["max_size"] == 7
    assert db["OPTIONS"]["pool"]["timeout"] > 0


def test_postgresql_connections_time_out(tmp_path):
    default = resolve_profile({"DATABASE_URL": PG_URL}, data_dir=DATA_DIR).databases["default"]
    chosen = resolve_profile({"DATABASE_URL": PG_URL, "DATABASE_CONNECT_TIMEOUT": "5", "DATABASE_POOL_TIMEOUT": "30"},
                             data_dir=DATA_DIR).databases["default"]

    assert default["OPTIONS"]["connect_timeout"] == 2  # libpq's default is to wait forever for a silent host
    assert (chosen["OPTIONS"]["connect_timeout"], chosen["OPTIONS"]["pool"]["timeout"]) == (5, 30.0)


def test_pool_size_zero_falls_back_to_persistent_connections():
    db = resolve_profile({"DATABASE_URL": PG_URL, "DATABASE_POOL_SIZE": "0"}, data_dir=DATA_DIR).databases["default"]

    assert "pool" not in db.get("OPTIONS", {})
    assert db["CONN_MAX_AGE"] == 60


def test_database_url_alone_switches_only_the_database():
    profile = resolve_profile({"DATABASE_URL": PG_URL}, data_dir=DATA_DIR)

    assert profile.name == SCALED
    assert profile.databases["default"]["ENGINE"] == "fer_site.postgresql"
    assert profile.caches["default"]["BACKEND"].endswith("LocMemCache")
    assert profile.celery["task_always_eager"] is True


def test_explicit_broker_overrides_redis_for_celery_only():
    env = {"REDIS_URL": REDIS_URL, "CELERY_BROKER_URL": "amqp://guest@mq.internal:5672//"}
    profile = resolve_profile(env, data_dir=DATA_DIR)

    assert profile.celery["broker_url"] == "amqp://guest@mq.internal:5672//"
    assert profile.celery["result_backend"] == REDIS_URL
    assert profile.channel_layers["default"]["CONFIG"]["hosts"] == [REDIS_URL]


def test_celery_app_reads_django_settings():
    assert celery_app.conf.task_always_eager == settings.CELERY_TASK_ALWAYS_EAGER
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.worker_prefetch_multiplier == 1


def test_upload_limits_have_defaults():
    assert settings.FER_MAX_UPLOAD_BYTES == 10 * 1024 * 1024
    assert settings.FER_MAX_IMAGE_PIXELS == 40_000_000
