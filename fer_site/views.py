"""Site-wide views that belong to no app."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView


@require_GET
@never_cache
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for a load balancer in front of several web processes: answers once the database does."""
    connection.ensure_connection()
    return JsonResponse({"status": "ok"})


@method_decorator(login_not_required, name="dispatch")
class LandingView(TemplateView):
    """Public front page: what the platform does and what a prediction means."""

    template_name = "landing.html"
