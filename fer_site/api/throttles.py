"""Throttles whose rates are read from settings on every request (not frozen at import time).

- `UserRateThrottle` / `AnonRateThrottle`: every call, rates from
  REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] ("user", "anon").

Photo uploads have their own budget per user, shared with the upload page, counted by the upload
service (`analysis.core.uploads.check_upload_rate`, `FER_UPLOAD_RATE`), not by a throttle here.

Counters live in the default cache (local memory in the embedded profile, Redis when scaled).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import throttling


def _configured_rate(scope: str) -> str | None:
    return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(scope)


class UserRateThrottle(throttling.UserRateThrottle):
    def get_rate(self):
        return _configured_rate(self.scope)


class AnonRateThrottle(throttling.AnonRateThrottle):
    def get_rate(self):
        return _configured_rate(self.scope)
