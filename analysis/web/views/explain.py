"""The result page's model comparison and face heatmaps. Thin: `analysis.core.explain` checks and starts the
work, selectors read from the owner."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from analysis.core import explain, selectors
from fer_site.errors import ServiceError


@require_POST
def compare(request: HttpRequest, analysis_id) -> HttpResponse:
    """Run every available model (or those posted in `models`) on the analysis's faces, then show them side by side."""
    analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
    try:
        analysis = explain.compare_start(owner=request.user, analysis=analysis, models=request.POST.get("models"))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Comparing %(count)d models on the faces of %(name)s.")
                         % {"count": len(analysis.compare_models), "name": analysis.original_name})
    return redirect(reverse("analysis:detail", args=[analysis.id]) + "#compare")


@require_GET
def heatmap(request: HttpRequest, analysis_id, index: int) -> HttpResponse:
    """One face's heatmap PNG for `?model=` (default: the analysis's model); errors as plain text with their status."""
    analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
    try:
        png = explain.heatmap_png(analysis=analysis, index=index, model=request.GET.get("model"))
    except ServiceError as exc:
        response = HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
        for name, value in exc.headers().items():
            response[name] = value
        return response
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
