"""Rate limits counted in the default cache (local memory in the embedded profile, Redis when scaled):
per key, the times of the requests within the last period, like DRF's throttles. Photo uploads use it
(`analysis.core.uploads`: one budget per user for the page and the API together).

Read-modify-write without a lock, as DRF's throttles: two requests at the same instant may both pass
the last slot. A limit against floods, not an exact quota.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/min' -> (120, 60): requests per period in seconds (the period's first letter counts, as in DRF)."""
    count, _, period = rate.partition("/")
    try:
        return int(count), PERIODS[period.strip()[:1].lower()]
    except (ValueError, KeyError):
        raise ValueError(f"a rate looks like 120/min or 5000/hour, not {rate!r}") from None


def take(key: str, rate: str | None, cost: int = 1) -> int | None:
    """Count `cost` requests for `key` against `rate`: None when allowed, else the whole seconds to wait
    (and nothing is counted). No rate means no limit."""
    if not rate:
        return None
    limit, period = parse_rate(rate)
    now = time.time()
    times = sorted(t for t in cache.get(key, []) if t > now - period)
    excess = len(times) + cost - limit
    if excess > 0:
        # Wait until enough of the counted requests leave the window; a cost above the limit never fits.
        wait = period if cost > limit else times[excess - 1] + period - now
        return max(1, math.ceil(wait))
    cache.set(key, times + [now] * cost, period)
    return None
