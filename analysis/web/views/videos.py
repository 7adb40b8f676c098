"""The videos pages: upload with progress, status, result page (player with drawn boxes, a timeline
and summary per face), cancel, delete, the owner-only files, the annotated MP4 and the exports.
Thin: video_services, video_selectors and video_results do the work."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from analysis.core import dispatch, video_downloads, video_exports, video_selectors, video_services
from analysis.core.choices import default_detector, default_model, detector_names, model_catalogue
from analysis.core.downloads import FileUnavailable
from analysis.core.messages import stored_reason
from analysis.core.video_results import frames_payload, timeline_points, track_summary
from analysis.core.video_uploads import VideoUploadOutcome, upload_videos
from analysis.models import Video
from analysis.web.timeline_chart import timeline_svg
from fer_site.errors import ServiceError

FPS_CHOICES = (1, 2, 5, 10, 15, 30)


def status_payload(video: Video) -> dict:
    return {
        "id": str(video.id),
        "name": video.original_name,
        "status": video.status,
        "status_label": str(video.get_status_display()),
        "error": stored_reason(video.error),
        "progress": round(video.progress, 3),
        "frames_analysed": video.frames_analysed,
        "frames_expected": video.frames_expected,
        "tracks": video.track_count,
        "top_emotion": video.top_emotion,
        "cancelling": video.cancel_requested and not video.is_finished,
        "annotated_status": video.annotated_status,
        "annotated_error": stored_reason(video.annotated_error),
        "url": reverse("analysis:video_detail", args=[video.id]),
    }


def _result(outcome: VideoUploadOutcome) -> dict:
    if outcome.error is not None:
        return {"name": outcome.name, "ok": False, "code": outcome.error.code, "error": outcome.error.message}
    return {"name": outcome.name, "ok": True, **status_payload(outcome.video)}


class VideosView(TemplateView):
    """GET: the upload page with recent videos. POST: one or many files; JSON per file for the script."""

    template_name = "analysis/videos.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "models": model_catalogue(),
            "default_model": default_model(),
            "detectors": detector_names(),
            "default_detector": default_detector(),
            "fps_choices": FPS_CHOICES,
            "default_fps": int(video_services.DEFAULT_SAMPLE_FPS),
            "recent": video_selectors.video_list(owner=self.request.user)[:20],
            "max_upload_mb": round(settings.FER_MAX_VIDEO_BYTES / 1024 / 1024),
            "max_minutes": round(settings.FER_MAX_VIDEO_SECONDS / 60, 1),
        }

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            results = [_result(o) for o in upload_videos(
                owner=request.user, files=request.FILES.getlist("videos"), model=request.POST.get("model"),
                detector=request.POST.get("detector"), sample_fps=request.POST.get("fps"))]
        except ServiceError as exc:  # the whole request refused
            results = [{"name": "", "ok": False, "code": exc.code, "error": exc.message}]
        if request.headers.get("Accept", "").startswith("application/json"):
            busy = any(r.get("code") == "busy" for r in results)
            status_code = 200 if any(r["ok"] for r in results) else (503 if busy else 400)
            return JsonResponse({"results": results}, status=status_code)
        for r in results:
            if r["ok"]:
                messages.success(request, _("%(name)s: queued for analysis.") % {"name": r["name"]})
            else:
                messages.error(request, r["error"])
        return redirect("analysis:videos")


@require_GET
def status(request: HttpRequest) -> JsonResponse:
    video_services.videos_fail_stale(owner=request.user)
    videos = video_selectors.video_statuses(owner=request.user, ids=request.GET.get("ids", "").split(","))
    return JsonResponse({"videos": [status_payload(v) for v in videos]})


class VideoDetailView(TemplateView):
    template_name = "analysis/video_detail.html"

    def get_context_data(self, **kwargs):
        video = video_selectors.video_get(owner=self.request.user, video_id=kwargs["video_id"])
        tracks = video_selectors.video_tracks(video=video)
        return {
            **super().get_context_data(**kwargs),
            "video": video,
            "tracks": [
                {"track": t, "summary": track_summary(t),
                 "chart": timeline_svg(timeline_points(t), chart_id=f"chart-face-{t.number}",
                                       title=_("Face %(n)s: each expression's probability over the video")
                                       % {"n": t.number})}
                for t in tracks
            ],
            "status_json": status_payload(video),
        }


def _download(respond) -> HttpResponse:
    try:
        return respond()
    except FileUnavailable as exc:
        raise Http404(exc.message) from None


def _owned(request: HttpRequest, video_id) -> Video:
    return video_selectors.video_get(owner=request.user, video_id=video_id)


@require_GET
def video_file(request: HttpRequest, video_id) -> HttpResponse:
    video = _owned(request, video_id)
    return _download(lambda: video_downloads.video_file_response(request, video))


@require_GET
def frames(request: HttpRequest, video_id) -> JsonResponse:
    video = _owned(request, video_id)
    response = JsonResponse(frames_payload(video, video_selectors.video_tracks(video=video)))
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def cancel(request: HttpRequest, video_id) -> HttpResponse:
    video = video_services.video_cancel(owner=request.user, video_id=_owned(request, video_id).id)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(status_payload(video))
    messages.info(request, f"{video.original_name}: cancelling." if not video.is_finished
                  else f"{video.original_name}: {video.get_status_display().lower()}.")
    return redirect("analysis:video_detail", video_id=video.id)


@require_POST
def delete(request: HttpRequest, video_id) -> HttpResponse:
    video = _owned(request, video_id)
    video_services.video_delete(owner=request.user, ids=[video.id])
    messages.success(request, _("Deleted the video %(name)s and its results.") % {"name": video.original_name})
    return redirect("analysis:videos")


@require_POST
def annotate(request: HttpRequest, video_id) -> HttpResponse:
    video = _owned(request, video_id)
    try:
        if video_services.video_annotate_request(video=video):
            dispatch.submit_annotation(video)
    except ServiceError as exc:
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"code": exc.code, "error": exc.message}, status=exc.status)
        messages.error(request, exc.message)
        return redirect("analysis:video_detail", video_id=video.id)
    video.refresh_from_db()
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(status_payload(video))
    messages.info(request, _("The annotated video is being made; this page shows its link when it is ready."))
    return redirect("analysis:video_detail", video_id=video.id)


@require_GET
def annotated(request: HttpRequest, video_id) -> HttpResponse:
    video = _owned(request, video_id)
    return _download(lambda: video_downloads.annotated_response(request, video, as_attachment=True))


def _export(request: HttpRequest, video_id, extension: str, content_type: str, chunks) -> StreamingHttpResponse:
    video = _owned(request, video_id)
    response = StreamingHttpResponse(chunks(video, video_selectors.video_tracks(video=video)),
                                     content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, video_exports.filename(video, extension))
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def export_csv(request: HttpRequest, video_id) -> StreamingHttpResponse:
    return _export(request, video_id, "csv", "text/csv; charset=utf-8", video_exports.csv_lines)


@require_GET
def export_json(request: HttpRequest, video_id) -> StreamingHttpResponse:
    return _export(request, video_id, "json", "application/json", video_exports.json_chunks)
