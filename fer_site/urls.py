"""Root URL configuration."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy

from accounts.language import set_language_view
from fer_site.js_catalog import VersionedCatalog
from fer_site.views import LandingView, healthz

urlpatterns = [
    path("", LandingView.as_view(), name="landing"),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("fer_site.api.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    # The footer's language switcher (a POST form; no language prefix in URLs, see docs/i18n.md).
    path("i18n/setlang/", set_language_view, name="set_language"),
    # The scripts' texts in one language (static/js/*.js call gettext; base.html loads it first), cacheable.
    path("i18n/js/<str:language>/<str:version>/", login_not_required(VersionedCatalog.as_view()),
         name="javascript_catalog"),
    path("", include("analysis.web.urls")),
]

admin.site.site_header = gettext_lazy("FER platform administration")
admin.site.site_title = gettext_lazy("FER admin")

# Branded pages, JSON under /api/; an unreachable database or Redis is a 503, not a 500 (fer_site.error_views).
handler400 = "fer_site.error_views.bad_request"
handler403 = "fer_site.error_views.permission_denied"
handler404 = "fer_site.error_views.page_not_found"
handler500 = "fer_site.error_views.server_error"
