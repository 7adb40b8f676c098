"""Upload, status, result page, "analyse again" and the owner-only photo downloads. Thin: services and
selectors do the work."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from analysis.core import dispatch, downloads, selectors, services
from analysis.core.choices import default_detector, default_model, detector_names, model_catalogue
from analysis.core.compare import face_comparisons
from analysis.core.messages import stored_reason
from analysis.core.photo_checks import ALLOWED_FORMATS, FORMAT_NAMES
from analysis.core.uploads import MAX_FILES_PER_REQUEST, UploadOutcome, analyse_again, upload_photos
from analysis.models import Analysis
from analysis.web.templatetags import result_summary
from analysis.web.views.history import back_to_history
from fer_site.errors import ServiceError
from ml.emotions import EMOTIONS

RECENT_SHOWN = 10


def status_payload(analysis: Analysis) -> dict:
    return {
        "id": str(analysis.id),
        "name": analysis.original_name,
        "status": analysis.status,
        "status_label": str(analysis.get_status_display()),
        "error": stored_reason(analysis.error),
        "faces": analysis.face_count,
        "top_emotion": analysis.top_emotion,
        "summary": result_summary(analysis),
        "thumbnail": reverse("analysis:thumbnail", args=[analysis.id]) if analysis.thumbnail else None,
        "url": reverse("analysis:detail", args=[analysis.id]),
        "compare_status": analysis.compare_status,
    }


def _result(outcome: UploadOutcome) -> dict:
    if outcome.error is not None:
        return {"name": outcome.name, "ok": False, "code": outcome.error.code, "error": outcome.error.message}
    return {"name": outcome.name, "ok": True, **status_payload(outcome.analysis)}


def choices_context() -> dict:
    """The models and detectors a user may pick, and the defaults (upload page and result page)."""
    return {"models": model_catalogue(), "default_model": default_model(), "detectors": detector_names(),
            "default_detector": default_detector()}


class AnalyzeView(TemplateView):
    """GET: the upload page. POST: one or many files; JSON per file for the page's script, else a
    redirect (to the result itself when a single photo was taken)."""

    template_name = "analysis/analyze.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **choices_context(),
            "recent": selectors.analysis_list(owner=self.request.user)[:RECENT_SHOWN],
            "recent_shown": RECENT_SHOWN,
            "models_ready": dispatch.models_ready(),
            "limits": {
                "max_bytes": settings.FER_MAX_UPLOAD_BYTES,
                "max_mb": round(settings.FER_MAX_UPLOAD_BYTES / 1024 / 1024),
                "max_megapixels": f"{settings.FER_MAX_IMAGE_PIXELS / 1e6:g}",
                "max_files": MAX_FILES_PER_REQUEST,
                "types": ",".join(f"image/{fmt.lower()}" for fmt in ALLOWED_FORMATS),
                "type_names": FORMAT_NAMES,
            },
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
        accepted = [r for r in results if r["ok"]]
        for r in results:
            if r["ok"]:
                messages.success(request, _("%(name)s: queued for analysis.") % {"name": r["name"]})
            else:
                messages.error(request, f"{r['name']}: {r['error']}" if r["name"] else r["error"])
        if len(results) == 1 and accepted:  # one photo: straight to its result, which updates itself
            return redirect(accepted[0]["url"])
        return redirect("analysis:analyze")


@require_GET
def status(request: HttpRequest) -> JsonResponse:
    services.analysis_fail_stale(owner=request.user)
    ids = request.GET.get("ids", "").split(",")
    analyses = selectors.analysis_statuses(owner=request.user, ids=ids)
    return JsonResponse({"analyses": [status_payload(a) for a in analyses], "models_ready": dispatch.models_ready()})


class AnalysisDetailView(TemplateView):
    template_name = "analysis/detail.html"

    def get_context_data(self, **kwargs):
        analysis = selectors.analysis_get(owner=self.request.user, analysis_id=kwargs["analysis_id"])
        faces = list(analysis.faces.all())
        return {
            **super().get_context_data(**kwargs),
            **choices_context(),
            "analysis": analysis,
            "faces": faces,
            "emotions": EMOTIONS,
            "other_detectors": [d for d in detector_names() if d != analysis.detector],
            "comparisons": face_comparisons(analysis, faces),
        }


@require_POST
def again(request: HttpRequest, analysis_id) -> HttpResponse:
    """Analyse the stored photo again with the chosen model and detector, as a new analysis."""
    source = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
    try:
        analysis = analyse_again(owner=request.user, source=source, model=request.POST.get("model"),
                                 detector=request.POST.get("detector"))
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("analysis:detail", analysis_id=source.id)
    messages.success(request, _("Analysing %(name)s again with the %(model)s model and the %(detector)s detector.")
                     % {"name": source.original_name, "model": analysis.model_name, "detector": analysis.detector})
    return redirect("analysis:detail", analysis_id=analysis.id)


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
    messages.success(request, _("Deleted the analysis of %(name)s.") % {"name": analysis.original_name})
    return back_to_history(request)
