"""A cap on the size of a whole HTTP request body, before Django reads it.

Django spools every request body to a temporary file before any view runs, and its own limits cover only
form fields (`DATA_UPLOAD_MAX_MEMORY_SIZE`) and the number of files: each upload's size is checked after it
has arrived. Without a cap, one request of many gigabytes fills the disk. The largest body a user can mean
to send is one video, or one batch of photos, plus the form around it; anything over that is refused with
413 (`request_too_large`, the API's error shape), and changes nothing:

- a declared `Content-Length` over the cap is refused at once, without reading the body;
- a body sent without one (chunked) is counted as it arrives and cut off once over the cap: Django then
  sees the client leave and answers nothing, and this layer sends the 413.

Under daphne (`fer_site.serve`), Twisted receives each body whole before the application is called, so
there the 413 comes once the client has sent everything: the bytes past the cap are counted and dropped,
not stored, and daphne answers the same 413 itself. A reverse proxy in front (`client_max_body_size` in
nginx) can refuse a declared length at once.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

# Form fields, multipart boundaries and headers of parts around the files.
FORM_ALLOWANCE = 1024 * 1024


def request_limit() -> int:
    """`FER_MAX_REQUEST_BYTES`, else the largest upload a user can mean to send, plus the form around it."""
    if settings.FER_MAX_REQUEST_BYTES:
        return settings.FER_MAX_REQUEST_BYTES
    from analysis.core.uploads import MAX_FILES_PER_REQUEST

    return max(settings.FER_MAX_VIDEO_BYTES, MAX_FILES_PER_REQUEST * settings.FER_MAX_UPLOAD_BYTES) + FORM_ALLOWANCE


def _declared_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # Django answers a malformed header itself
    return None


class BodyLimit:
    """ASGI middleware for the HTTP side of the application."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = request_limit()
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            return await _refuse(send, limit)
        received, over, started = 0, False, False

        async def counting_receive():
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def noting_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, noting_send)
        if over and not started:
            await _refuse(send, limit)


def refusal(limit: int) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body of the 413 answer (the API's error shape)."""
    message = _("The request is larger than the server accepts (%(mb).0f MB in all).") % {"mb": limit / 1024 / 1024}
    body = json.dumps({"error": {"code": "request_too_large", "message": message,
                                 "details": {"limit_bytes": limit}}}).encode()
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")], body


async def _refuse(send, limit: int) -> None:
    headers, body = refusal(limit)
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
