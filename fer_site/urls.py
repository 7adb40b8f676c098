"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from fer_site.views import LandingView, healthz

urlpatterns = [
    path("", LandingView.as_view(), name="landing"),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("fer_site.api.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("", include("analysis.web.urls")),
]

admin.site.site_header = "FER platform administration"
admin.site.site_title = "FER admin"

# Branded pages, JSON under /api/; an unreachable database or Redis is a 503, not a 500 (fer_site.error_views).
handler400 = "fer_site.error_views.bad_request"
handler403 = "fer_site.error_views.permission_denied"
handler404 = "fer_site.error_views.page_not_found"
handler500 = "fer_site.error_views.server_error"
