"""Upload, status, result page and the owner-only photo downloads. Thin: services and selectors do the work."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from analysis import selectors, services
from analysis.annotate import annotated_jpeg
from analysis.choices import UnknownChoice, default_model, model_catalogue
from analysis.dispatch import QueueUnavailable
from analysis.models import Analysis
from analysis.validation import InvalidUpload, check_image
from ml.emotions import EMOTIONS
from ml.serving.detection import DETECTORS

MAX_FILES_PER_UPLOAD = 20


def status_payload(analysis: Analysis) -> dict:
    return {
        "id": str(analysis.id),
        "name": analysis.original_name,
        "status": analysis.status,
        "status_label": analysis.get_status_display(),
        "error": analysis.error,
        "faces": analysis.face_count,
        "top_emotion": analysis.top_emotion,
        "url": reverse("analysis:detail", args=[analysis.id]),
    }


class AnalyzeView(TemplateView):
    """GET: the upload page. POST: one or many files; JSON per file for the page's script."""

    template_name = "analysis/analyze.html"

    def get_context_data(self, **kwargs):
        recent = selectors.analysis_list(owner=self.request.user)[:10]
        return {
            **super().get_context_data(**kwargs),
            "models": model_catalogue(),
            "default_model": default_model(),
            "detectors": DETECTORS,
            "recent": recent,
            "max_upload_mb": round(settings.FER_MAX_UPLOAD_BYTES / 1024 / 1024),
        }

    def post(self, request: HttpRequest) -> HttpResponse:
        files = request.FILES.getlist("images")
        model, detector = request.POST.get("model"), request.POST.get("detector")
        results: list[dict] = []
        if not files:
            results.append({"name": "", "ok": False, "code": "no_file", "error": "Choose at least one photo."})
        for upload in files[:MAX_FILES_PER_UPLOAD]:
            try:
                checked = check_image(upload)
                analysis = services.analysis_create(owner=request.user, image=checked, model=model, detector=detector)
            except (InvalidUpload, UnknownChoice) as exc:
                results.append({"name": upload.name, "ok": False, "code": exc.code, "error": exc.message})
            except QueueUnavailable as exc:  # broker down: nothing was stored for this file
                results.append({"name": upload.name, "ok": False, "code": exc.code,
                                "error": f"{upload.name}: {exc.message}"})
            else:
                results.append({"name": upload.name, "ok": True, **status_payload(analysis)})
        for upload in files[MAX_FILES_PER_UPLOAD:]:
            results.append({"name": upload.name, "ok": False, "code": "too_many_files",
                            "error": f"{upload.name}: at most {MAX_FILES_PER_UPLOAD} photos per upload."})
        if request.headers.get("Accept", "").startswith("application/json"):
            busy = any(r.get("code") == "busy" for r in results)
            status_code = 200 if any(r["ok"] for r in results) else (503 if busy else 400)
            return JsonResponse({"results": results}, status=status_code)
        for r in results:
            (messages.success if r["ok"] else messages.error)(
                request, f"{r['name']}: queued for analysis." if r["ok"] else r["error"])
        return redirect("analysis:analyze")


@require_GET
def status(request: HttpRequest) -> JsonResponse:
    services.analysis_fail_stale(owner=request.user)
    ids = request.GET.get("ids", "").split(",")
    analyses = selectors.analysis_statuses(owner=request.user, ids=ids)
    return JsonResponse({"analyses": [status_payload(a) for a in analyses]})


class AnalysisDetailView(TemplateView):
    template_name = "analysis/detail.html"

    def get_context_data(self, **kwargs):
        analysis = selectors.analysis_get(owner=self.request.user, analysis_id=kwargs["analysis_id"])
        faces = list(analysis.faces.all())
        return {
            **super().get_context_data(**kwargs),
            "analysis": analysis,
            "faces": faces,
            "emotions": EMOTIONS,
            "status_json": status_payload(analysis),
        }


def _file_response(field, filename: str, as_attachment: bool = False) -> FileResponse:
    if not field:
        raise Http404("This photo was not kept.")
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file is gone.") from None
    response = FileResponse(handle, as_attachment=as_attachment, filename=filename)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def photo(request: HttpRequest, analysis_id) -> FileResponse:
    analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
    return _file_response(analysis.photo, analysis.original_name)


@require_GET
def thumbnail(request: HttpRequest, analysis_id) -> FileResponse:
    analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
    return _file_response(analysis.thumbnail, "thumbnail.jpg")


@require_GET
def annotated(request: HttpRequest, analysis_id) -> HttpResponse:
    analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
    if not analysis.photo or analysis.status != Analysis.Status.DONE:
        raise Http404("No annotated photo: the photo was not kept or the analysis is not done.")
    stem = analysis.original_name.rsplit(".", 1)[0]
    response = HttpResponse(annotated_jpeg(analysis), content_type="image/jpeg")
    response["Content-Disposition"] = f'attachment; filename="{stem}-annotated.jpg"'
    return response


@require_POST
def delete(request: HttpRequest, analysis_id) -> HttpResponse:
    analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
    services.analysis_delete(owner=request.user, ids=[analysis.id])
    messages.success(request, f"Deleted the analysis of {analysis.original_name}.")
    return redirect("analysis:history")


