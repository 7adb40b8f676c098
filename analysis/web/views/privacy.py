"""The privacy page (keep photos or not) and "delete all my data". Thin: services write."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from analysis.core import selectors, services
from analysis.web.forms import DeleteAllForm, KeepPhotosForm


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
            messages.success(request, _("Your photos will be kept."))
        else:
            messages.success(request, _("New photos will be deleted as soon as they are analysed. "
                                        "Photos already stored stay until you delete them."))
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
        parts = [
            ngettext("%(n)d analysis", "%(n)d analyses", deleted["analyses"]) % {"n": deleted["analyses"]},
            ngettext("%(n)d face", "%(n)d faces", deleted["faces"]) % {"n": deleted["faces"]},
            ngettext("%(n)d stored photo with its thumbnail", "%(n)d stored photos with their thumbnails",
                     deleted["photos"]) % {"n": deleted["photos"]},
            ngettext("%(n)d live session", "%(n)d live sessions", deleted["live_sessions"])
            % {"n": deleted["live_sessions"]},
        ]
        if deleted["videos"]:
            parts.append(ngettext("%(n)d video", "%(n)d videos", deleted["videos"]) % {"n": deleted["videos"]})
        messages.success(request, _("Deleted all your data: %(items)s and %(last)s.")
                         % {"items": ", ".join(parts[:-1]), "last": parts[-1]})
        return redirect("analysis:analyze")
