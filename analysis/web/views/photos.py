"""Upload, status, result page and the owner-only photo downloads. Thin: services and selectors do the work."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from analysis.core import downloads, selectors, services
from analysis.core.choices import default_detector, default_model, detector_names, model_catalogue
from analysis.core.uploads import UploadOutcome, upload_photos
from analysis.models import Analysis
from fer_site.errors import ServiceError
from ml.emotions import EMOTIONS


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


def _result(outcome: UploadOutcome) -> dict:
    if outcome.error is not None:
        return {"name": outcome.name, "ok": False, "code": outcome.error.code, "error": outcome.error.message}
    return {"name": outcome.name, "ok": True, **status_payload(outcome.analysis)}


class AnalyzeView(TemplateView):
    """GET: the upload page. POST: one or many files; JSON per file for the page's script."""

    template_name = "analysis/analyze.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "models": model_catalogue(),
            "default_model": default_model(),
            "detectors": detector_names(),
            "default_detector": default_detector(),
            "recent": selectors.analysis_list(owner=self.request.user)[:10],
            "max_upload_mb": round(settings.FER_MAX_UPLOAD_BYTES / 1024 / 1024),
        }

    def post(self, request: HttpRequest) -> HttpResponse:
        files = request.FILES.getlist("images")
        refused: ServiceError | None = None
        try:
            results = [_result(o) for o in upload_photos(owner=request.user, files=files,
                                                         model=request.POST.get("model"),
                                                         detector=request.POST.get("detector"))]
        except ServiceError as exc:  # the whole request refused (no file, too many, unknown model, upload rate)
            refused, results = exc, [{"name": "", "ok": False, "code": exc.code, "error": exc.message}]
        if request.headers.get("Accept", "").startswith("application/json"):
            if refused is not None:
                return JsonResponse({"results": results}, status=refused.status, headers=refused.headers())
            busy = any(r.get("code") == "busy" for r in results)
            status_code = 200 if any(r["ok"] for r in results) else (503 if busy else 400)
            return JsonResponse({"results": results}, status=status_code)
        for r in results:
            if r["ok"]:
                messages.success(request, f"{r['name']}: queued for analysis.")
            else:
                messages.error(request, r["error"])
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
        return {
            **super().get_context_data(**kwargs),
            "analysis": analysis,
            "faces": list(analysis.faces.all()),
            "emotions": EMOTIONS,
            "status_json": status_payload(analysis),
        }


def _download(respond) -> HttpResponse:
    try:
        return respond()
    except downloads.FileUnavailable as exc:
        raise Http404(exc.message) from None


@require_GET
def photo(request: HttpRequest, analysis_id) -> FileResponse:
    analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
    return _download(lambda: downloads.photo_response(analysis))


@require_GET
def thumbnail(request: HttpRequest, analysis_id) -> FileResponse:
    analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
    return _download(lambda: downloads.thumbnail_response(analysis))


@require_GET
def annotated(request: HttpRequest, analysis_id) -> HttpResponse:
    analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
    return _download(lambda: downloads.annotated_response(analysis, as_attachment=True))


@require_POST
def delete(request: HttpRequest, analysis_id) -> HttpResponse:
    analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
    services.analysis_delete(owner=request.user, ids=[analysis.id])
    messages.success(request, f"Deleted the analysis of {analysis.original_name}.")
    return redirect("analysis:history")
