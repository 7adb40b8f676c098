"""Site-wide views that belong to no app."""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from analysis.core.dispatch import BUSY_RETRY_AFTER_S


@require_GET
@never_cache
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for a load balancer in front of several web processes: 200 once the database answers, else 503
    (within the connection timeout: fer_site.postgresql)."""
    try:
        connection.ensure_connection()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503,
                            headers={"Retry-After": str(BUSY_RETRY_AFTER_S)})
    return JsonResponse({"status": "ok"})


@method_decorator(login_not_required, name="dispatch")
class LandingView(TemplateView):
    """Public front page: what the platform does and what a prediction means."""

    template_name = "landing.html"
