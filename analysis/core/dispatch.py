"""Where analysis work runs: the one module that reads `FER_TASK_MODE`.

- `thread` (embedded default): a small in-process thread pool runs the task's body, so uploads
  return at once and the page shows pending -> running -> done as in production;
- `eager` (tests): runs it right away in the caller;
- `celery` (scaled): sends it to a broker queue (`gpu` for photos, `realtime` for live frames;
  routes in `CELERY_TASK_ROUTES`).

Entry points: `submit` (a stored photo), `wait` (inside `submit`, for the API's `wait=true`),
`submit_compare` (other models on a done analysis's faces: like a photo), `heatmap` (one face's
heatmap PNG: computed in the request in-process, else on a `gpu` worker while the request waits),
`LivePredictor.predict` (a live frame), `submit_video` and `submit_annotation` (a stored video and
its annotated MP4: `gpu` queue with Celery; in-process, a pool of their own, one thread, so a long
video never holds up photos). When the broker, Redis or the database
cannot be reached, each of them answers the same `ServiceBusy` (HTTP 503 `busy`, socket error
`busy`); a photo that could not be queued is deleted first, so nothing waits for a task that was
never sent.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from analysis.core import compare, heatmaps, services, video_services
from analysis.core.messages import translated
from analysis.models import Analysis, Video
from fer_site.errors import ServiceError, sentence
from ml.serving.images import ImageDecodeError
from ml.serving.pipeline import ImageResult

logger = logging.getLogger(__name__)
IN_PROCESS_MODES = ("thread", "eager")
BUSY_RETRY_AFTER_S = 5
BUSY_MESSAGE = _("The analysis service is busy or unreachable; nothing was stored, please try again in a minute.")
DATABASE_BUSY_MESSAGE = _("The service is overloaded or its database is unreachable for a moment; nothing was "
                          "stored. Retry after `Retry-After` seconds.")
LIVE_TIMEOUT_MESSAGE = _("The analysis service did not answer in time; frames are being skipped.")
_pools: dict[str, ThreadPoolExecutor] = {}


class ServiceBusy(ServiceError):
    """The broker, Redis or the database cannot take the work right now; nothing was stored."""

    code = "busy"
    status = 503

    def __init__(self, message: str = BUSY_MESSAGE):
        super().__init__(message, details={"retry_after": BUSY_RETRY_AFTER_S})

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(BUSY_RETRY_AFTER_S)}


class FrameRefused(ServiceError):
    """A live frame that cannot be analysed (not a JPEG, too large, undecodable)."""


def unavailable_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the broker, Redis or the database is unreachable", whichever client raised them."""
    import redis.exceptions
    from kombu.exceptions import OperationalError as BrokerError

    return (BrokerError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, ConnectionError,
            OperationalError, InterfaceError)


def as_busy(exc: BaseException) -> ServiceBusy | None:
    """The busy answer for an unavailability error raised anywhere (a throttle's cache, a query), else None."""
    if isinstance(exc, ServiceBusy):
        return exc
    if isinstance(exc, OperationalError | InterfaceError):  # InterfaceError: a connection that broke in use
        logger.warning("the database is unavailable: %s", exc)
        return ServiceBusy(DATABASE_BUSY_MESSAGE)
    if isinstance(exc, unavailable_errors()):
        logger.warning("Redis or the broker is unreachable: %s", exc)
        return ServiceBusy()
    return None


# --- Start-up -------------------------------------------------------------------------------------


def prepare_web_process() -> None:
    """In the in-process modes the web server runs the work: warm its model up in the background."""
    if settings.FER_TASK_MODE in IN_PROCESS_MODES and settings.FER_SERVER_WARMUP:
        from analysis.core import warmup

        warmup.start_in_background()


def models_ready() -> bool:
    """Whether a photo sent now starts at once; with Celery the workers warm up before taking tasks."""
    if settings.FER_TASK_MODE not in IN_PROCESS_MODES:
        return True
    from analysis.core import warmup

    return warmup.is_ready()


# --- In-process work (thread mode) -----------------------------------------------------------------


def _in_process(pool: str, what: str, work: Callable[[], object]) -> None:
    """Run `work` on an in-process pool: `analysis` (photos and comparisons, FER_INPROCESS_WORKERS threads)
    or `video` (one thread: a video takes the cores for minutes). Each run has its own database
    connections, and a crash is logged rather than lost in the pool."""
    if pool not in _pools:
        size = settings.FER_INPROCESS_WORKERS if pool == "analysis" else 1
        _pools[pool] = ThreadPoolExecutor(max_workers=size, thread_name_prefix=pool)
    _pools[pool].submit(_run_logged, what, work)


def _run_logged(what: str, work: Callable[[], object]) -> None:
    close_old_connections()
    try:
        work()
    except Exception:
        logger.exception("in-process %s crashed", what)
    finally:
        close_old_connections()


# --- Photos ---------------------------------------------------------------------------------------


def submit(analysis: Analysis, *, wait_s: float | None = None) -> None:
    """Start a stored analysis where this deployment runs work.

    Without `wait_s` it is queued after the row is committed (so a worker always finds it). With
    `wait_s` the call returns once the analysis has finished or `wait_s` seconds have passed: in
    the in-process modes it is processed right here, so no queue sits between a waiting client
    and its answer; with Celery it is queued and its row polled. Raises `ServiceBusy` (after
    deleting the analysis) when the broker cannot take it.
    """
    if wait_s is not None and settings.FER_TASK_MODE in IN_PROCESS_MODES:
        services.analysis_process(analysis_id=analysis.id)
        return
    transaction.on_commit(lambda: _queue_or_discard(analysis))
    if wait_s is not None:
        _wait(analysis.id, wait_s)


def _queue_or_discard(analysis: Analysis) -> None:
    try:
        _queue(str(analysis.id))
    except unavailable_errors() as exc:
        logger.warning("could not queue analysis %s: %s", analysis.id, exc)
        services.analysis_discard(analysis=analysis)
        raise ServiceBusy() from exc


def _queue(analysis_id: str) -> None:
    mode = settings.FER_TASK_MODE
    if mode == "eager":
        services.analysis_process(analysis_id=analysis_id)
    elif mode == "thread":
        _in_process("analysis", f"analysis {analysis_id}", lambda: services.analysis_process(analysis_id=analysis_id))
    else:
        from analysis.core.tasks import analyse_photo

        analyse_photo.apply_async(args=[analysis_id])


def _wait(analysis_id, timeout: float) -> None:
    """Poll the row (a worker elsewhere processes it) until it is finished or `timeout` passed.

    The connection goes back (to the pool, in the scaled profile) while the request sleeps, so
    fifty waiting uploads do not hold fifty database connections for up to 30 seconds each.
    """
    deadline = time.monotonic() + timeout
    delay = 0.02
    finished = (Analysis.Status.DONE, Analysis.Status.FAILED)
    while time.monotonic() < deadline:
        current = Analysis.objects.filter(pk=analysis_id).values_list("status", flat=True).first()
        if current is None or current in finished:
            return
        if not connection.in_atomic_block:
            connection.close()
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 1.5, 0.25)


# --- Model comparison and heatmaps --------------------------------------------------------------

HEATMAP_WAIT_S = 20.0


class HeatmapPending(ServiceBusy):
    """The heatmap was asked of a worker and is not ready within the wait; asking again picks it up."""

    def __init__(self):
        super().__init__(_("The heatmap is still being computed; ask again in a few seconds."))


def submit_compare(analysis: Analysis) -> None:
    """Start comparing models on a done analysis's faces (`compare.compare_process`) after commit, like a photo."""
    transaction.on_commit(lambda: _start_compare(analysis))


def _start_compare(analysis: Analysis) -> None:
    mode = settings.FER_TASK_MODE
    if mode == "eager":
        compare.compare_process(analysis_id=analysis.id)
    elif mode == "thread":
        _in_process("analysis", f"comparison of analysis {analysis.id}",
                    lambda: compare.compare_process(analysis_id=analysis.id))
    else:
        from analysis.core.tasks import compare_faces

        try:
            compare_faces.apply_async(args=[str(analysis.id)])
        except unavailable_errors() as exc:
            logger.warning("could not queue the comparison of analysis %s: %s", analysis.id, exc)
            compare.compare_withdraw(analysis_id=analysis.id)
            raise ServiceBusy() from exc


def heatmap(analysis: Analysis, index: int, model: str, *, wait_s: float | None = None) -> bytes:
    """One face's heatmap PNG (checked by `heatmaps.heatmap_check`): from the cache, else computed here in the
    in-process modes, else by a `gpu` worker while this request polls the cache for at most `wait_s` seconds
    (default HEATMAP_WAIT_S; then `HeatmapPending`, 503 with Retry-After; the worker still finishes and caches it)."""
    found = heatmaps.cached(analysis.id, index, model)
    if found is not None:
        return found
    if settings.FER_TASK_MODE in IN_PROCESS_MODES:
        return heatmaps.heatmap_compute(analysis_id=analysis.id, index=index, model=model)
    from analysis.core.tasks import face_heatmap

    try:
        face_heatmap.apply_async(args=[str(analysis.id), index, model])
    except unavailable_errors() as exc:
        raise ServiceBusy() from exc
    deadline = time.monotonic() + (HEATMAP_WAIT_S if wait_s is None else wait_s)
    if not connection.in_atomic_block:
        connection.close()  # as `_wait`: a waiting request holds no database connection
    while time.monotonic() < deadline:
        time.sleep(0.25)
        found = heatmaps.cached(analysis.id, index, model)
        if found is not None:
            return found
    raise HeatmapPending()


# --- Videos ---------------------------------------------------------------------------------------

_VIDEO_WORK = {"analyse_video": video_services.video_process, "annotate_video": video_services.video_annotate_process}


def submit_video(video: Video) -> None:
    """Start a stored video's analysis after commit; `ServiceBusy` (video deleted) when it cannot be queued."""
    transaction.on_commit(lambda: _start_video_work("analyse_video", video.id,
                                                    on_busy=lambda: video_services.video_discard(video=video)))


def submit_annotation(video: Video) -> None:
    """Start making the annotated MP4 after commit; `ServiceBusy` (request undone) when it cannot be queued."""
    transaction.on_commit(lambda: _start_video_work(
        "annotate_video", video.id, on_busy=lambda: video_services.video_annotate_discard(video=video)))


def _start_video_work(name: str, video_id, *, on_busy) -> None:
    mode = settings.FER_TASK_MODE
    if mode == "eager":
        _VIDEO_WORK[name](video_id=video_id)
    elif mode == "thread":
        _in_process("video", f"{name} of video {video_id}", lambda: _VIDEO_WORK[name](video_id=video_id))
    else:
        from analysis.core import tasks

        try:
            getattr(tasks, name).apply_async(args=[str(video_id)])
        except unavailable_errors() as exc:
            logger.warning("could not queue %s of video %s: %s", name, video_id, exc)
            on_busy()
            raise ServiceBusy() from exc


# --- Live frames ----------------------------------------------------------------------------------


class LivePredictor:
    """Analyses one socket's frames: in a thread of this process, or on a Celery `realtime` worker
    that answers through the channel layer (the consumer hands such answers to `deliver`)."""

    def __init__(self, channel_name: str, model: str):
        self.channel_name, self.model = channel_name, model
        self._reply: asyncio.Future | None = None

    async def predict(self, frame: bytes) -> ImageResult:
        """Raises FrameRefused for a bad frame and ServiceBusy when no worker answers in time."""
        if settings.FER_TASK_MODE in IN_PROCESS_MODES:
            from analysis.live.frames import predict_frame

            try:
                return await asyncio.to_thread(predict_frame, frame, self.model)
            except ImageDecodeError as exc:
                raise FrameRefused(sentence(translated(exc)), code=exc.code) from None
        return await self._predict_remotely(frame)

    async def _predict_remotely(self, frame: bytes) -> ImageResult:
        from analysis.core.tasks import live_frame

        self._reply = asyncio.get_running_loop().create_future()
        try:
            live_frame.apply_async(args=[self.channel_name, base64.b64encode(frame).decode(), self.model],
                                   kwargs={"language": translation.get_language()},
                                   expires=settings.FER_LIVE_REMOTE_TIMEOUT_S)
            answer = await asyncio.wait_for(self._reply, settings.FER_LIVE_REMOTE_TIMEOUT_S)
        except unavailable_errors() as exc:
            logger.warning("could not queue a live frame: %s", exc)
            raise ServiceBusy(LIVE_TIMEOUT_MESSAGE) from None
        except TimeoutError:
            raise ServiceBusy(LIVE_TIMEOUT_MESSAGE) from None
        finally:
            self._reply = None
        if not answer["ok"]:
            if answer["code"] == "busy":
                raise ServiceBusy(answer["message"])
            raise FrameRefused(answer["message"], code=answer["code"])
        return ImageResult.from_dict(answer["result"])

    def deliver(self, event: dict) -> None:
        """A realtime worker's answer (channel layer message `live.result`)."""
        if self._reply is not None and not self._reply.done():
            self._reply.set_result(event)
