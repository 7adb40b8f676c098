"""What an error looks like outside the views: Django's 400/403/404/500 handlers, the CSRF failure
view, and the 503 for an unreachable database or Redis (`root urls` and `CSRF_FAILURE_VIEW` name them).

- Under `/api/` (and for `/healthz/`) every error is JSON in the API's shape (`fer_site.api.errors`).
- Pages get the site's branded templates: 400/403/404 in the normal layout; 500 and 503 from a
  self-contained template rendered without the request, so they work when the database, the
  session or the static files are what failed.
- An exception that means "the database, Redis or the broker is unreachable" (`dispatch.as_busy`)
  reaching Django's 500 handler is a 503 `busy` with `Retry-After`, not a 500: it may come from a
  view or from middleware (the session, the signed-in user), and the 500 handler is the one place
  that sees both.
"""

from __future__ import annotations

import logging
import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import requires_csrf_token

from analysis.core.dispatch import as_busy
from fer_site.api.errors import error_body

logger = logging.getLogger(__name__)
JSON_PREFIXES = ("/api/", "/healthz/")
SERVER_ERROR_MESSAGE = gettext_lazy("A fault on the server; it has been logged. Retry later.")


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PREFIXES)


def _json(code: str, message: str, status: int, headers: dict | None = None, details: dict | None = None):
    return JsonResponse(error_body(code, message, details), status=status, headers=headers)


def _page(request: HttpRequest | None, template: str, status: int) -> HttpResponse:
    return HttpResponse(loader.get_template(template).render(None, request), status=status)


def busy_response(request: HttpRequest, exc: BaseException) -> HttpResponse | None:
    """The 503 for an unavailability error (JSON or the standalone page), else None."""
    busy = as_busy(exc)
    if busy is None:
        return None
    if wants_json(request):
        return _json(busy.code, busy.message, busy.status, busy.headers(), busy.details)
    return HttpResponse(loader.get_template("503.html").render(), status=busy.status, headers=busy.headers())


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return _json("bad_request", _("The request is malformed."), 400)
    return _page(None, "400.html", 400)  # like Django's own: the request may be what is broken (e.g. its host)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return _json("permission_denied", _("You do not have permission to do this."), 403)
    return _page(request, "403.html", 403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return _json("not_found", _("No API endpoint at %(path)s.") % {"path": request.path}, 404)
    return _page(request, "404.html", 404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    busy = busy_response(request, sys.exc_info()[1])
    if busy is not None:
        return busy
    if wants_json(request):
        return _json("server_error", str(SERVER_ERROR_MESSAGE), 500)
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: Django's own page is a technical one; ours says what to do."""
    if wants_json(request):
        return _json("permission_denied", _("CSRF check failed: send the CSRF token with session-authenticated "
                                            "requests, or use `Authorization: Token <key>`."), 403)
    return _page(request, "403_csrf.html", 403)
