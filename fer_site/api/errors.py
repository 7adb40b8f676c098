"""One error shape for the whole API, produced by the EXCEPTION_HANDLER below.

    {"error": {"code": "image_too_large", "message": "The file (12.4 MB) is over the 10 MB limit.",
               "details": {}}}

`code` is stable and machine-readable; `message` is for people; `details` carries extra data
(field errors for `validation_error`, `retry_after` seconds for `throttled`). Bad input is a
4xx, never a 500.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFilesSent
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from analysis.core.dispatch import as_busy
from fer_site.errors import ServiceError

logger = logging.getLogger(__name__)

# Every code the API returns, with its HTTP status (the docs and tests use this table); the meanings are shown,
# translated, on the API page.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "validation_error": (400, gettext_lazy("A parameter or field is missing or invalid; `details` names each one.")),
    "parse_error": (400, gettext_lazy("The request body could not be parsed.")),
    "bad_request": (400, gettext_lazy("The request is malformed.")),
    "invalid_image": (400, gettext_lazy(
        "The file is not a readable JPEG, PNG or WebP image (corrupt, truncated or not an image).")),
    "empty_file": (400, gettext_lazy("The uploaded file is empty.")),
    "no_file": (400, gettext_lazy("No file was sent in the `image` (or `images`) field.")),
    "too_many_files": (400, gettext_lazy("More files than one batch accepts.")),
    "unknown_model": (400, gettext_lazy("No model of that name; GET /api/v1/models/ lists them.")),
    "unknown_detector": (400, gettext_lazy("No face detector of that name; the upload page and the schema list them.")),
    "invalid_cursor": (404, gettext_lazy(
        "No page at this cursor: not one this API returned (a cursor is opaque, like an id).")),
    "token_limit_reached": (400, gettext_lazy("The account has the most API tokens allowed; revoke some first.")),
    "invalid_credentials": (401, gettext_lazy("Wrong username or password.")),
    "not_authenticated": (401, gettext_lazy(
        "No credentials were sent: use `Authorization: Token <key>` or a session.")),
    "authentication_failed": (401, gettext_lazy("The token is invalid or revoked.")),
    "permission_denied": (403, gettext_lazy(
        "Not allowed (for a browser session: the CSRF token is missing or wrong).")),
    "not_found": (404, gettext_lazy("No such resource among yours (another user's id is not found either).")),
    "photo_not_kept": (404, gettext_lazy(
        "The original photo was deleted after analysis (the owner does not keep photos).")),
    "not_ready": (404, gettext_lazy("The annotated photo exists once the analysis is done.")),
    "method_not_allowed": (405, gettext_lazy("The HTTP method is not allowed here.")),
    "not_acceptable": (406, gettext_lazy("No representation matches the Accept header.")),
    "image_too_large": (413, gettext_lazy("The file is over the upload size limit, or the image has too many pixels.")),
    "request_too_large": (413, gettext_lazy("The request body is over the server's limit.")),
    "unsupported_format": (415, gettext_lazy("The image format is not accepted; use JPEG, PNG or WebP.")),
    "unsupported_media_type": (415, gettext_lazy("The request's Content-Type is not accepted by this endpoint.")),
    "locked_out": (429, gettext_lazy("Too many failed sign-ins for this username from this address; wait and retry.")),
    "throttled": (429, gettext_lazy("Too many requests; retry after `Retry-After` seconds.")),
    "server_error": (500, gettext_lazy("A fault on the server (a bug); it is logged. Retry later or report it.")),
    "busy": (503, gettext_lazy(
        "The analysis service (task queue) is unreachable for a moment; nothing was stored. Retry after "
        "`Retry-After` seconds.")),
}


class APIError(ServiceError):
    """An error raised by an API view; its status comes from ERROR_CODES unless given."""

    def __init__(self, code: str, message: str, *, status_code: int | None = None, details: dict | None = None):
        super().__init__(message, code=code, status=status_code or ERROR_CODES.get(code, (400, ""))[0],
                         details=details)


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(code: str, message: str, *, status_code: int | None = None, details: dict | None = None,
                   headers: dict | None = None) -> Response:
    status_code = status_code or ERROR_CODES.get(code, (400, ""))[0]
    return Response(error_body(code, message, details), status=status_code, headers=headers)


def _text(detail) -> str:
    if isinstance(detail, list | tuple):
        return " ".join(_text(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(f"{k}: {_text(v)}" for k, v in detail.items())
    return str(detail)


def _validation(exc: exceptions.ValidationError) -> tuple[str, str, dict]:
    detail = exc.detail
    if isinstance(detail, dict):
        fields = {name: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])] for name, msgs in detail.items()}
        # A field error that itself carries one of our codes (e.g. unknown_model) keeps that code.
        return "validation_error", _text(detail), {"fields": fields}
    return "validation_error", _text(detail), {"fields": {"non_field_errors": [_text(detail)]}}


def classify(exc: Exception) -> tuple[int, str, str, dict, dict] | None:
    """(status, code, message, details, headers) for a known exception, None for a bug."""
    busy = as_busy(exc)  # broker, Redis or database unreachable (a throttle's cache, a query): busy, not a 500
    if busy is not None:
        exc = busy
    if isinstance(exc, ServiceError):
        return exc.status, exc.code, exc.message, exc.details, exc.headers()
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait) if exc.wait is not None else None
        message = _("Too many requests.") + (" " + _("Retry in %(s)s s.") % {"s": wait} if wait is not None else "")
        headers = {"Retry-After": str(max(wait, 1))} if wait is not None else {}
        return 429, "throttled", message, ({"retry_after": max(wait, 1)} if wait is not None else {}), headers
    if isinstance(exc, exceptions.ValidationError):
        code, message, details = _validation(exc)
        return 400, code, message, details, {}
    if isinstance(exc, Http404 | exceptions.NotFound):
        return 404, "not_found", _("Not found."), {}, {}
    if isinstance(exc, exceptions.NotAuthenticated):
        return 401, "not_authenticated", _text(exc.detail), {}, {}
    if isinstance(exc, exceptions.AuthenticationFailed):
        return 401, "authentication_failed", _text(exc.detail), {}, {}
    if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
        detail = getattr(exc, "detail", None) or _("You do not have permission to do this.")
        return 403, "permission_denied", _text(detail), {}, {}
    if isinstance(exc, exceptions.MethodNotAllowed):
        return 405, "method_not_allowed", _text(exc.detail), {}, {}
    if isinstance(exc, exceptions.NotAcceptable):
        return 406, "not_acceptable", _text(exc.detail), {}, {}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return 415, "unsupported_media_type", _text(exc.detail), {}, {}
    if isinstance(exc, exceptions.ParseError):
        return 400, "parse_error", _text(exc.detail), {}, {}
    if isinstance(exc, RequestDataTooBig):
        return 413, "request_too_large", _("The request body is too large."), {}, {}
    if isinstance(exc, TooManyFilesSent):
        return 400, "too_many_files", _("Too many files in one request."), {}, {}
    if isinstance(exc, SuspiciousOperation):
        return 400, "bad_request", _("The request is malformed."), {}, {}
    if isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        return exc.status_code, code, _text(exc.detail), {}, {}
    return None


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF EXCEPTION_HANDLER: every known error in the documented shape; bugs still 500 (and are logged)."""
    classified = classify(exc)
    if classified is None:
        return None  # a bug: Django logs it and answers 500
    status_code, code, message, details, headers = classified
    if status_code == status.HTTP_401_UNAUTHORIZED:  # a 401 names the scheme to use (RFC 9110)
        headers = {**headers, "WWW-Authenticate": getattr(exc, "auth_header", None) or "Token"}
    set_rollback()
    return error_response(code, message, status_code=status_code, details=details, headers=headers)


@csrf_exempt  # it changes nothing: DELETE or POST on an unknown path is a 404 too, not a CSRF page
def api_not_found(request, unmatched: str = "") -> JsonResponse:
    """Unknown paths under /api/v1/ answer in the API's error shape too, whatever the method."""
    return JsonResponse(error_body("not_found", _("No API endpoint at %(path)s.") % {"path": request.path}), status=404)
