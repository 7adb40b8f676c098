"""Throttles whose rates are read from settings on every request (not frozen at import time).

- `UploadRateThrottle`: scope "uploads", per user, rate `FER_UPLOAD_RATE` (environment, default
  120/min); a batch counts as one request per file.
- `UserRateThrottle` / `AnonRateThrottle`: every other call, rates from
  REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] ("user", "anon").

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


class UploadRateThrottle(throttling.ScopedRateThrottle):
    """Scoped to views with ``throttle_scope = "uploads"``; each file of a batch costs one request."""

    def get_rate(self):
        return settings.FER_UPLOAD_RATE

    def allow_request(self, request, view):
        if getattr(view, "throttle_scope", None) != "uploads":
            return True
        self.scope = "uploads"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        cost = max(1, len(request.FILES.getlist("images"))) if request.method == "POST" else 1
        if len(self.history) + cost > self.num_requests:
            return self.throttle_failure()
        self.history[:0] = [self.now] * cost
        self.cache.set(self.key, self.history, self.duration)
        return True
