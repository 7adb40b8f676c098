"""The live webcam page and the stored live-session summaries."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from analysis.core import selectors, services
from analysis.core.choices import default_model, model_catalogue
from analysis.web.timeline_chart import timeline_svg


class LiveView(TemplateView):
    template_name = "analysis/live.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "models": model_catalogue(),
            "default_model": default_model(),
            "recent_sessions": selectors.live_session_list(owner=self.request.user)[:5],
        }


class LiveSessionView(TemplateView):
    template_name = "analysis/live_session.html"

    def get_context_data(self, **kwargs):
        session = selectors.live_session_get(owner=self.request.user, session_id=kwargs["session_id"])
        shares = sorted(session.emotion_shares.items(), key=lambda item: item[1], reverse=True)
        return {**super().get_context_data(**kwargs), "session": session, "shares": shares,
                "timeline": timeline_svg(session.timeline)}


@require_POST
def delete_session(request: HttpRequest, session_id) -> HttpResponse:
    session = selectors.live_session_get(owner=request.user, session_id=session_id)
    services.live_session_delete(owner=request.user, session_id=session.id)
    messages.success(request, _("Deleted the live session."))
    return redirect("analysis:live")
