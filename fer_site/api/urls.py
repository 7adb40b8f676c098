"""The REST API's URLs, mounted at /api/v1/ (namespace "api"): tokens (accounts), analyses,
statistics and models (analysis), the OpenAPI schema and docs, and a JSON 404 for the rest.

The docs' JS/CSS come from drf-spectacular-sidecar (no CDN).
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts.api import urls as account_urls
from analysis.api import urls as analysis_urls
from fer_site.api.errors import api_not_found

app_name = "api"

urlpatterns = [
    *account_urls.urlpatterns,
    *analysis_urls.urlpatterns,
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", login_not_required(SpectacularSwaggerView.as_view(url_name="api:schema")), name="docs"),
    path("redoc/", login_not_required(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    re_path(r"^(?P<unmatched>.*)$", login_not_required(api_not_found), name="not-found"),
]
