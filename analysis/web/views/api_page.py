"""The site's "API" page: how to get a token and call the API with curl and Python."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.views.generic import TemplateView

from accounts import api_tokens
from accounts.views_tokens import pop_new_token
from analysis.core.choices import default_model
from fer_site.api.errors import ERROR_CODES


class ApiPageView(TemplateView):
    template_name = "analysis/api.html"

    def get_context_data(self, **kwargs):
        request = self.request
        new_token = pop_new_token(request)
        base = request.build_absolute_uri(reverse("api:analysis-list")).rsplit("analyses/", 1)[0]
        return {
            **super().get_context_data(**kwargs),
            "current": "api",
            "base_url": base,
            "new_token": new_token,
            "token_placeholder": new_token["key"] if new_token else "YOUR_TOKEN",
            "token_count": api_tokens.token_list(user=request.user).count(),
            "default_model": default_model(),
            "upload_rate": settings.FER_UPLOAD_RATE,
            "max_upload_mb": round(settings.FER_MAX_UPLOAD_BYTES / 1024 / 1024),
            "max_megapixels": round(settings.FER_MAX_IMAGE_PIXELS / 1e6),
            "error_codes": sorted(ERROR_CODES.items(), key=lambda item: (item[1][0], item[0])),
        }
