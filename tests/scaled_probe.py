"""Exercises the scaled profile end to end; run by test_scaled_services.py in a child process.

Expects DATABASE_URL (a migrated PostgreSQL database) and REDIS_URL in the environment and
prints one JSON line with what it observed. Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_site.settings")

import django  # noqa: E402

django.setup()

from asgiref.sync import async_to_sync  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import user_create  # noqa: E402
from fer_site.celery_app import app as celery_app  # noqa: E402


def probe_database() -> dict:
    user = user_create(username="probe-user", email="probe@example.com", password="probe-Secret-2024-x")
    client = Client()
    signup = client.post(
        "/accounts/signup/",
        {
            "username": "probe-signup",
            "email": "signup@example.com",
            "password1": "probe-Secret-2024-y",
            "password2": "probe-Secret-2024-y",
        },
    )
    analyze = client.get("/analyze/")
    return {
        "vendor": connection.vendor,
        "profile": settings.FER_PROFILE,
        "user_roundtrip": User.objects.get(pk=user.pk).email,
        "password_hasher": User.objects.get(pk=user.pk).password.split("$", 1)[0],
        "signup_status": signup.status_code,
        "analyze_after_signup": analyze.status_code,
        "users": User.objects.count(),
    }


def probe_cache() -> dict:
    key = f"probe:{uuid.uuid4().hex}"
    cache.set(key, {"answer": 42}, timeout=30)
    value = cache.get(key)
    cache.delete(key)
    return {"cache_backend": settings.CACHES["default"]["BACKEND"], "cache_value": value}


def probe_channel_layer() -> dict:
    layer = get_channel_layer()

    async def roundtrip() -> dict:
        channel = await layer.new_channel()
        group = f"probe-{uuid.uuid4().hex[:12]}"
        await layer.group_add(group, channel)
        await layer.group_send(group, {"type": "probe.message", "text": "hello"})
        message = await layer.receive(channel)
        await layer.group_discard(group, channel)
        return message

    return {"layer": type(layer).__module__ + "." + type(layer).__name__, "layer_message": async_to_sync(roundtrip)()}


def probe_celery() -> dict:
    # A real connection to the broker, not only the configured URL.
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=2)
        transport = conn.transport_cls
    return {
        "celery_eager": celery_app.conf.task_always_eager,
        "celery_broker": celery_app.conf.broker_url,
        "celery_transport": str(transport),
    }


if __name__ == "__main__":
    print(json.dumps({**probe_database(), **probe_cache(), **probe_channel_layer(), **probe_celery()}))
