"""The history page and deleting several analyses at once. Thin: forms validate, selectors and services work.

Every query starts from `request.user`; another user's ids are ignored (bulk delete) or 404 (the
per-analysis pages in views/photos.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from analysis.core import selectors, services, video_selectors
from analysis.web.forms import HistoryFilterForm, local_day_bounds

PAGE_SIZE = 20
LIVE_SESSIONS_SHOWN = 10
VIDEOS_SHOWN = 10
MAX_DELETE_IDS = 500


class HistoryView(TemplateView):
    template_name = "analysis/history.html"

    def get_context_data(self, **kwargs):
        owner = self.request.user
        form = HistoryFilterForm(self.request.GET, owner=owner)
        filters = form.valid_values()
        created_from, created_before = local_day_bounds(filters.get("date_from"), filters.get("date_to"))
        analyses = selectors.analysis_filtered(
            owner=owner, emotion=filters.get("emotion"), model=filters.get("model"),
            created_from=created_from, created_before=created_before,
        )
        page = Paginator(analyses, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "filtered": bool(filters),
            "page_obj": page,
            "analyses": page.object_list,
            "has_any": bool(page.paginator.count) or selectors.analysis_list(owner=owner).exists()
            or selectors.live_session_list(owner=owner).exists() or video_selectors.video_list(owner=owner).exists(),
            "live_sessions": selectors.live_session_list(owner=owner)[:LIVE_SESSIONS_SHOWN],
            "videos": video_selectors.video_list(owner=owner)[:VIDEOS_SHOWN],
        }


def back_to_history(request: HttpRequest) -> HttpResponse:
    """To the history page the form was sent from (its `next`, filters and page kept), else the first page."""
    target = request.POST.get("next", "")
    history = reverse("analysis:history")
    if target.startswith(history) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(history)


@require_POST
def delete_many(request: HttpRequest) -> HttpResponse:
    ids = selectors.parse_uuids(request.POST.getlist("ids"), limit=MAX_DELETE_IDS)
    if not ids:
        messages.warning(request, _("Select at least one analysis to delete."))
        return back_to_history(request)
    deleted = services.analysis_delete(owner=request.user, ids=ids)
    messages.success(request, ngettext("Deleted %(n)d analysis.", "Deleted %(n)d analyses.", deleted) % {"n": deleted})
    return back_to_history(request)
