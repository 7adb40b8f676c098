"""URLs of the REST API, mounted at /api/v1/ (namespace "api").

Every route is exempt from the site's LoginRequiredMiddleware: the API authenticates with its own
classes (token or session) and answers 401 in its error shape instead of redirecting to a page.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from analysis.api import views


def _open(view):
    return login_not_required(view)


app_name = "api"

urlpatterns = [
    path("auth/token/", _open(views.TokenObtainView.as_view()), name="token-obtain"),
    path("auth/tokens/", _open(views.TokenListView.as_view()), name="token-list"),
    path("auth/tokens/<int:token_id>/", _open(views.TokenDetailView.as_view()), name="token-detail"),
    path("analyses/", _open(views.AnalysisListCreateView.as_view()), name="analysis-list"),
    path("analyses/batch/", _open(views.AnalysisBatchView.as_view()), name="analysis-batch"),
    path("analyses/<uuid:analysis_id>/", _open(views.AnalysisDetailView.as_view()), name="analysis-detail"),
    path("analyses/<uuid:analysis_id>/photo/", _open(views.AnalysisPhotoView.as_view()), name="analysis-photo"),
    path("analyses/<uuid:analysis_id>/annotated/", _open(views.AnalysisAnnotatedView.as_view()),
         name="analysis-annotated"),
    path("stats/", _open(views.StatsView.as_view()), name="stats"),
    path("models/", _open(views.ModelListView.as_view()), name="models"),
    # OpenAPI 3 schema and interactive docs; the docs' JS/CSS come from drf-spectacular-sidecar (no CDN).
    path("schema/", _open(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", _open(SpectacularSwaggerView.as_view(url_name="api:schema")), name="docs"),
    path("redoc/", _open(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    re_path(r"^(?P<unmatched>.*)$", _open(views.api_not_found), name="not-found"),
]
