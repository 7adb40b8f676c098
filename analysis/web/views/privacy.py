"""The privacy page (keep photos or not) and "delete all my data". Thin: services write."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from analysis.core import selectors, services
from analysis.web.forms import DeleteAllForm, KeepPhotosForm
from analysis.web.templatetags import plural


class PrivacyView(TemplateView):
    template_name = "analysis/privacy.html"

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or KeepPhotosForm(initial={"keep_photos": self.request.user.keep_photos})
        counts = selectors.owner_data_counts(owner=self.request.user)
        return {**super().get_context_data(**kwargs), "form": form, "counts": counts}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = KeepPhotosForm(request.POST)
        if not form.is_valid():  # pragma: no cover - a BooleanField(required=False) always validates
            return self.render_to_response(self.get_context_data(form=form))
        keep = form.cleaned_data["keep_photos"]
        services.user_keep_photos_set(user=request.user, keep=keep)
        if keep:
            messages.success(request, "Your photos will be kept.")
        else:
            messages.success(request, "New photos will be deleted as soon as they are analysed. "
                                      "Photos already stored stay until you delete them.")
        return redirect("analysis:privacy")


class DeleteAllView(TemplateView):
    template_name = "analysis/delete_all.html"

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or DeleteAllForm(username=self.request.user.get_username())
        counts = selectors.owner_data_counts(owner=self.request.user)
        return {**super().get_context_data(**kwargs), "form": form, "counts": counts}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DeleteAllForm(request.POST, username=request.user.get_username())
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        deleted = services.user_data_delete(user=request.user)
        parts = [plural(deleted["analyses"], "analysis", "analyses"), plural(deleted["faces"], "face"),
                 plural(deleted["photos"], "stored photo") + " with " + ("its thumbnail" if deleted["photos"] == 1
                                                                       else "their thumbnails"),
                 plural(deleted["live_sessions"], "live session")]
        if deleted["videos"]:
            parts.append(plural(deleted["videos"], "video"))
        messages.success(request, f"Deleted all your data: {', '.join(parts[:-1])} and {parts[-1]}.")
        return redirect("analysis:analyze")
