"""The /ws/live/ consumer over a real ASGI WebSocket connection (Channels' WebsocketCommunicator)."""

from __future__ import annotations

import io
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from PIL import Image

from analysis.live.consumer import LiveConsumer
from analysis.models import LiveSession
from tests.photos import astronaut

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 60


def camera_frame() -> bytes:
    """A 640x480 JPEG like a webcam's, with one real face."""
    canvas = Image.new("RGB", (640, 480), (90, 90, 90))
    face = Image.fromarray(astronaut()).resize((400, 400))
    canvas.paste(face, (120, 40))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


async def connected(user, path: str = "/ws/live/") -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), path)
    communicator.scope["user"] = user
    ok, _ = await communicator.connect()
    assert ok
    ready = await communicator.receive_json_from(TIMEOUT)
    assert ready["type"] == "ready" and ready["model"] == "fast"
    return communicator


def test_anonymous_is_rejected():
    from django.contrib.auth.models import AnonymousUser

    async def scenario():
        communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
        communicator.scope["user"] = AnonymousUser()
        ok, code = await communicator.connect()
        assert not ok and code == 4401

    run(scenario)


def test_foreign_origin_is_rejected(user):
    from fer_site.asgi import application

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/live/", headers=[(b"origin", b"https://evil.example")])
        ok, _ = await communicator.connect()
        assert not ok

    run(scenario)


def test_frames_in_predictions_out(user):
    async def scenario():
        communicator = await connected(user)
        await communicator.send_to(bytes_data=camera_frame())
        message = await communicator.receive_json_from(TIMEOUT)
        assert message["type"] == "prediction" and message["frame"] == 1
        assert (message["width"], message["height"]) == (640, 480)
        assert len(message["faces"]) == 1
        face = message["faces"][0]
        assert {"id", "box", "probabilities", "smoothed", "emotion", "confidence"} <= face.keys()
        assert face["id"] == 1 and abs(sum(face["probabilities"].values()) - 1) < 1e-3
        assert face["emotion"] == max(face["smoothed"], key=face["smoothed"].get)
        assert 120 <= face["box"]["x"] + face["box"]["w"] / 2 <= 520
        # The same face in the next frame keeps its id.
        await communicator.send_to(bytes_data=camera_frame())
        second = await communicator.receive_json_from(TIMEOUT)
        assert second["frame"] == 2 and second["faces"][0]["id"] == 1
        await communicator.disconnect()

    run(scenario)


def test_bad_frames_get_errors_and_the_socket_stays_usable(user, settings):
    settings.FER_LIVE_MAX_FRAME_BYTES = 200_000

    async def scenario():
        communicator = await connected(user)
        await communicator.send_to(bytes_data=b"\xff\xd8\xff" + bytes(300_000))
        error = await communicator.receive_json_from(TIMEOUT)
        assert error == {"type": "error", "code": "frame_too_large", "message": error["message"]}
        assert "200,000 bytes" in error["message"]
        await communicator.send_to(bytes_data=b"GIF89a not a jpeg")
        assert (await communicator.receive_json_from(TIMEOUT))["code"] == "not_jpeg"
        await communicator.send_to(bytes_data=b"\xff\xd8\xff\xe0 truncated")
        assert (await communicator.receive_json_from(TIMEOUT))["code"] == "invalid_frame"
        await communicator.send_to(text_data='{"type": "dance"}')
        assert (await communicator.receive_json_from(TIMEOUT))["code"] == "unknown_message"
        await communicator.send_to(bytes_data=camera_frame())
        assert (await communicator.receive_json_from(TIMEOUT))["type"] == "prediction"
        await communicator.disconnect()

    run(scenario)


def test_one_frame_in_flight_newer_frames_replace_waiting_ones(user, monkeypatch):
    from analysis.live import frames

    release, real = threading.Event(), frames.predict_frame
    seen: list[int] = []

    def slow_predict(frame: bytes, model: str):
        seen.append(frame[-1])
        if len(seen) == 1:
            release.wait(TIMEOUT)  # hold the first frame while more arrive
        return real(frame[:-1], model)

    monkeypatch.setattr(frames, "predict_frame", slow_predict)

    async def scenario():
        communicator = await connected(user)
        frame = camera_frame()
        for tag in (1, 2, 3, 4):  # one trailing byte tags each frame; JPEG decoders ignore it
            await communicator.send_to(bytes_data=frame + bytes([tag]))
        await communicator.receive_nothing(0.3)
        release.set()
        first = await communicator.receive_json_from(TIMEOUT)
        second = await communicator.receive_json_from(TIMEOUT)
        assert (first["frame"], second["frame"]) == (1, 4)
        assert second["dropped"] == 2
        assert seen == [1, 4]  # frames 2 and 3 were replaced before being analysed
        assert await communicator.receive_nothing(0.3)
        await communicator.disconnect()

    run(scenario)


def test_rate_limit(user, settings):
    settings.FER_LIVE_MAX_FPS = 1

    async def scenario():
        communicator = await connected(user)
        for _ in range(3):
            await communicator.send_to(bytes_data=camera_frame())
        kinds = []
        for _ in range(2):
            kinds.append(await communicator.receive_json_from(TIMEOUT))
        assert any(m.get("code") == "rate_limited" for m in kinds)
        await communicator.disconnect()

    run(scenario)


def test_summary_saved_on_stop_and_on_disconnect_for_the_right_user(user, make_user):
    other = make_user(username="bob")

    async def scenario():
        communicator = await connected(user)
        for _ in range(2):
            await communicator.send_to(bytes_data=camera_frame())
            assert (await communicator.receive_json_from(TIMEOUT))["type"] == "prediction"
        await communicator.send_to(text_data='{"type": "stop"}')
        summary = await communicator.receive_json_from(TIMEOUT)
        assert summary["type"] == "summary" and summary["frames_analysed"] == 2 and summary["faces_seen"] == 1
        assert summary["url"].startswith("/live/sessions/")
        closed = await communicator.receive_output(TIMEOUT)  # saved: later frames would count nowhere
        assert closed["type"] == "websocket.close" and closed.get("code", 1000) == 1000
        await communicator.disconnect()

        dropped = await connected(user)  # a stream that just goes away still leaves its summary
        await dropped.send_to(bytes_data=camera_frame())
        await dropped.receive_json_from(TIMEOUT)
        await dropped.disconnect()

    run(scenario)
    sessions = LiveSession.objects.filter(owner=user).order_by("started_at")
    assert [s.frames_analysed for s in sessions] == [2, 1]
    first = sessions[0]
    assert first.faces_seen == 1 and first.face_detections == 2 and sum(first.emotion_counts.values()) == 2
    assert first.timeline and abs(sum(first.timeline[0]["shares"].values()) - 1) < 1e-3
    assert not LiveSession.objects.filter(owner=other).exists()


def test_streams_with_no_frames_leave_nothing(user):
    async def scenario():
        communicator = await connected(user)
        await communicator.disconnect()

    run(scenario)
    assert not LiveSession.objects.exists()


def test_session_pages_are_owner_only(client, user, make_user):
    from django.urls import reverse
    from django.utils import timezone

    session = LiveSession.objects.create(
        owner=user, model_name="fast", started_at=timezone.now(), ended_at=timezone.now(), duration_s=3.0,
        frames_analysed=3, emotion_counts={"happy": 3}, timeline=[{"t": 0, "n": 3, "shares": {"happy": 1.0}}],
    )
    client.force_login(user)
    page = client.get(reverse("analysis:live_session", args=[session.id]))
    assert page.status_code == 200 and "<polyline" in page.content.decode()
    client.force_login(make_user(username="eve"))
    assert client.get(reverse("analysis:live_session", args=[session.id])).status_code == 404
    assert client.post(reverse("analysis:live_session_delete", args=[session.id])).status_code == 404
    assert LiveSession.objects.filter(id=session.id).exists()




def test_sessions_appear_in_history_and_statistics(client, user, make_user):
    from django.urls import reverse
    from django.utils import timezone

    def session(owner, counts):
        return LiveSession.objects.create(
            owner=owner, model_name="fast", started_at=timezone.now(), ended_at=timezone.now(), duration_s=90.0,
            frames_analysed=sum(counts.values()), emotion_counts=counts, top_emotion=max(counts, key=counts.get),
        )

    mine = session(user, {"happy": 7, "sad": 2})
    session(make_user(username="zed"), {"angry": 50})
    client.force_login(user)
    history = client.get(reverse("analysis:history")).content.decode()
    assert reverse("analysis:live_session", args=[mine.id]) in history and "mostly happy" in history
    stats = client.get(reverse("analysis:statistics")).content.decode()
    assert 'data-stat="live_sessions">1<' in stats and 'data-stat="live_frames">9<' in stats
    assert "Faces per emotion in live sessions" in stats
    assert ">50<" not in stats  # the other user's session is not counted


# --- Messages that are not frames or JSON, and every kind of close --------------------------------


def test_text_that_is_not_json_gets_an_error_and_the_socket_stays(user):
    async def scenario():
        communicator = await connected(user)
        for text in ("hello", "{", "[" * 100_000 + "]" * 100_000, " "):
            await communicator.send_to(text_data=text)
            error = await communicator.receive_json_from(TIMEOUT)
            assert error["type"] == "error" and error["code"] == "invalid_message", error
        await communicator.send_to(bytes_data=camera_frame())
        assert (await communicator.receive_json_from(TIMEOUT))["type"] == "prediction"
        await communicator.send_to(text_data='{"type": "stop"}')
        assert (await communicator.receive_json_from(TIMEOUT))["type"] == "summary"
        await communicator.disconnect()

    run(scenario)
    assert LiveSession.objects.filter(owner=user).count() == 1


def test_a_fault_while_analysing_a_frame_is_answered(user, monkeypatch):
    from analysis.live import frames

    def broken(frame: bytes, model: str):
        raise RuntimeError("a bug")

    monkeypatch.setattr(frames, "predict_frame", broken)

    async def scenario():
        communicator = await connected(user)
        await communicator.send_to(bytes_data=camera_frame())
        error = await communicator.receive_json_from(TIMEOUT)
        assert error["code"] == "server_error" and "a bug" not in error["message"]
        await communicator.disconnect()

    run(scenario)


def test_summary_saved_when_the_consumer_crashes(user, monkeypatch):
    async def crash(self, content, **kwargs):
        raise RuntimeError("a bug in a handler")

    async def scenario():
        communicator = await connected(user)
        await communicator.send_to(bytes_data=camera_frame())
        assert (await communicator.receive_json_from(TIMEOUT))["type"] == "prediction"
        monkeypatch.setattr(LiveConsumer, "receive_json", crash)
        await communicator.send_to(text_data='{"type": "stop"}')
        with pytest.raises(RuntimeError):
            await communicator.wait(TIMEOUT)

    run(scenario)
    assert LiveSession.objects.filter(owner=user).count() == 1


def test_summary_saved_when_the_server_shuts_down(user):
    """daphne cancels every consumer when it stops; the stream's summary is still saved."""
    import asyncio

    async def scenario():
        communicator = await connected(user)
        await communicator.send_to(bytes_data=camera_frame())
        assert (await communicator.receive_json_from(TIMEOUT))["type"] == "prediction"
        communicator.future.cancel()
        with pytest.raises(asyncio.CancelledError):
            await communicator.future

    run(scenario)
    assert LiveSession.objects.filter(owner=user).count() == 1


def test_one_user_holds_at_most_the_allowed_live_sockets(user, make_user, settings):
    settings.FER_LIVE_MAX_SOCKETS_PER_USER = 2
    bob = make_user(username="bob")

    async def scenario():
        first, second = await connected(user), await connected(user)
        third = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
        third.scope["user"] = user
        await third.connect()
        error = await third.receive_json_from(TIMEOUT)
        assert error["type"] == "error" and error["code"] == "too_many_streams" and "2" in error["message"]
        assert (await third.receive_output(TIMEOUT)) == {"type": "websocket.close", "code": 4429}
        other = await connected(bob)  # another account is not affected
        await first.disconnect()  # a closed socket frees its place
        fourth = await connected(user)
        for communicator in (second, other, fourth):
            await communicator.disconnect()

    run(scenario)
