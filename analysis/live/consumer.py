"""WebSocket `/ws/live/`: binary JPEG frames in, JSON predictions out.

At most one frame is analysed at a time per socket; a frame arriving meanwhile waits in a
single slot, and a newer one replaces it (counted as dropped), so no queue builds up and the
page always gets the freshest picture analysed. Inference never runs on the event loop: in a
worker thread (embedded profile) or on a Celery `realtime` worker that answers through the
channel layer (scaled profile).

Messages to the page (JSON): `ready`, `prediction`, `error` (the socket stays open), `summary`.
Whatever ends the socket (a stop message, the page going away, the transport closing it for a
message over `FER_LIVE_MAX_MESSAGE_BYTES`, a fault in this consumer, the server shutting down),
the session's summary is saved once (`__call__`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

from accounts.language import language_from_scope
from analysis.core.choices import UnknownChoice, check_model
from analysis.core.dispatch import LivePredictor
from analysis.core.services import live_session_save
from analysis.live import slots
from analysis.live.summary import LiveStats
from fer_site.errors import ServiceError
from ml.serving.pipeline import ImageResult
from ml.serving.tracking import FaceTracker

logger = logging.getLogger(__name__)
NOT_SIGNED_IN = 4401
TOO_MANY_SOCKETS = 4429
NOT_JSON = _("Text messages must be JSON, such as {\"type\": \"stop\"}; send frames as binary messages.")
FRAME_FAULT = _("This frame could not be analysed (a fault on the server, logged); the next one will be.")


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send) -> None:
        # Messages in the page's language (no LocaleMiddleware on a socket); this task's context only.
        translation.activate(language_from_scope(scope))
        try:
            await super().__call__(scope, receive, send)
        finally:  # every kind of close, including a crash or a cancelled consumer at shutdown
            if hasattr(self, "stats"):
                await self.save_session()
            if getattr(self, "slot_seen", None) is not None:
                await slots.release(self.scope["user"].pk, self.channel_name)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_SIGNED_IN)
            return
        await self.accept()
        if not await slots.claim(user.pk, self.channel_name):
            await self.send_error("too_many_streams", _("You already have %(n)s live streams open; stop one (or close "
                                                        "its tab) to start another.")
                                  % {"n": settings.FER_LIVE_MAX_SOCKETS_PER_USER})
            await self.close(code=TOO_MANY_SOCKETS)
            return
        self.slot_seen = time.monotonic()
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            self.model = await database_sync_to_async(check_model)((query.get("model") or [None])[0])
        except UnknownChoice as exc:
            self.model = await database_sync_to_async(check_model)(None)
            await self.send_error(exc.code, exc.message)
        self.stats = LiveStats(model=self.model)
        self.predictor = LivePredictor(self.channel_name, self.model)
        self.tracker = FaceTracker()
        self.busy = False
        self.waiting: tuple[int, bytes, float] | None = None
        self.last_second, self.frames_this_second = 0, 0
        self.saved = False
        await self.send_json({
            "type": "ready", "model": self.model,
            "limits": {"max_frame_bytes": settings.FER_LIVE_MAX_FRAME_BYTES, "max_fps": settings.FER_LIVE_MAX_FPS},
        })

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": str(message)})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        if bytes_data is not None:
            await self.receive_frame(bytes_data)
            return
        try:
            content = json.loads(text_data or "")
        except (ValueError, RecursionError):  # not JSON (or nested too deep): an answer, not a crash
            await self.send_error("invalid_message", NOT_JSON)
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "stop":
            session = await self.save_session()
            await self.send_json({
                "type": "summary", **self.stats_payload(),
                "url": reverse("analysis:live_session", args=[session.id]) if session else None,
            })
            # The session is saved: frames sent after it would be analysed for nothing and counted nowhere.
            await self.close(code=1000)
        else:
            await self.send_error("unknown_message", _("Send JPEG frames as binary messages, or {\"type\": \"stop\"}."))

    async def receive_frame(self, frame: bytes) -> None:
        self.stats.frames_received += 1
        if time.monotonic() - self.slot_seen > slots.REFRESH_SECONDS:  # still streaming: keep this socket counted
            self.slot_seen = time.monotonic()
            await slots.refresh(self.scope["user"].pk, self.channel_name)
        index, now = self.stats.frames_received, time.monotonic()
        limit = settings.FER_LIVE_MAX_FRAME_BYTES
        if len(frame) > limit:
            message = _("Frames may be at most %(limit)s bytes; this one was %(size)s.") % {
                "limit": formats.number_format(limit, force_grouping=True),
                "size": formats.number_format(len(frame), force_grouping=True)}
            await self.send_error("frame_too_large", message)
            return
        second = int(now)
        if second != self.last_second:
            self.last_second, self.frames_this_second = second, 0
        self.frames_this_second += 1
        if self.frames_this_second > settings.FER_LIVE_MAX_FPS:
            self.stats.frames_dropped += 1
            if self.frames_this_second == settings.FER_LIVE_MAX_FPS + 1:
                await self.send_error("rate_limited", _("At most %(n)s frames per second.")
                                      % {"n": settings.FER_LIVE_MAX_FPS})
            return
        if self.busy:
            if self.waiting is not None:
                self.stats.frames_dropped += 1  # replaced by a newer frame before it was analysed
            self.waiting = (index, frame, now)
            return
        self.busy = True
        asyncio.get_running_loop().create_task(self.analyse(index, frame, now))

    async def analyse(self, index: int, frame: bytes, received: float) -> None:
        try:
            while frame is not None:
                try:
                    result = await self.predictor.predict(frame)
                except ServiceError as exc:  # a refused frame, or no worker answered: the socket stays open
                    await self.send_error(exc.code, exc.message)
                except Exception:  # a fault here must not leave the page waiting for an answer forever
                    logger.exception("live frame %s failed", index)
                    await self.send_error("server_error", FRAME_FAULT)
                else:
                    await self.send_prediction(index, result, received)
                if self.waiting is None:
                    break
                index, frame, received = self.waiting
                self.waiting = None
        finally:
            self.busy = False

    async def live_result(self, event: dict) -> None:
        """A realtime worker's answer (channel layer message type `live.result`)."""
        self.predictor.deliver(event)

    async def send_prediction(self, index: int, result: ImageResult, received: float) -> None:
        faces = [f.to_dict() for f in self.tracker.update(result.faces)]
        latency_ms = (time.monotonic() - received) * 1000
        self.stats.add_frame(faces, latency_ms)
        await self.send_json({
            "type": "prediction", "frame": index, "width": result.width, "height": result.height,
            "faces": faces, "inference_ms": round(result.timings_ms["total"], 1), "server_ms": round(latency_ms, 1),
            "dropped": self.stats.frames_dropped,
        })

    def stats_payload(self) -> dict:
        return {"frames_received": self.stats.frames_received, "frames_analysed": self.stats.frames_analysed,
                "frames_dropped": self.stats.frames_dropped, "faces_seen": len(self.stats.face_ids)}

    async def save_session(self):
        if self.saved:
            return None
        self.saved = True
        return await database_sync_to_async(live_session_save)(owner=self.scope["user"], summary=self.stats.summary())

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "stats"):
            await self.save_session()
