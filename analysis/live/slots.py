"""How many live sockets one user may hold at once (`FER_LIVE_MAX_SOCKETS_PER_USER`): each socket costs a
share of the model's time, so one account cannot take it all by opening many tabs or scripted sockets.

Counted in the default cache (local memory in the embedded profile, Redis when scaled, so the count spans
every web process): per user, the sockets' channel names with the time each was last seen. A socket
refreshes its entry while frames flow and removes it when it closes; an entry not refreshed for
`SLOT_SECONDS` (a process that died without closing) no longer counts. Read-modify-write without a lock,
like `fer_site.rate_limits`: a limit against abuse, not an exact quota.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

SLOT_SECONDS = 120
REFRESH_SECONDS = 30


def _key(user_id: int) -> str:
    return f"live-sockets:{user_id}"


async def _live_entries(user_id: int, now: float) -> dict[str, float]:
    entries = await cache.aget(_key(user_id)) or {}
    return {channel: seen for channel, seen in entries.items() if seen > now - SLOT_SECONDS}


async def claim(user_id: int, channel: str) -> bool:
    """Count this socket for the user; False (nothing counted) when the user already holds the maximum."""
    now = time.time()
    entries = await _live_entries(user_id, now)
    if channel not in entries and len(entries) >= settings.FER_LIVE_MAX_SOCKETS_PER_USER:
        return False
    entries[channel] = now
    await cache.aset(_key(user_id), entries, SLOT_SECONDS)
    return True


async def refresh(user_id: int, channel: str) -> None:
    await claim(user_id, channel)


async def release(user_id: int, channel: str) -> None:
    entries = await _live_entries(user_id, time.time())
    if entries.pop(channel, None) is not None:
        await cache.aset(_key(user_id), entries, SLOT_SECONDS)
