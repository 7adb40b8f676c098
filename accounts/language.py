"""The user's language: a signed-in user's saved preference wins over the switcher's cookie and the browser's
Accept-Language (which LocaleMiddleware reads), and the footer switcher saves the choice for a signed-in user.

Preference per request rather than a cookie set at sign-in: it follows the account to every browser and
device, and a change on the profile page takes effect on the next page without signing in again.
"""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import SimpleCookie

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.http import require_POST
from django.views.i18n import set_language


def user_language(request: HttpRequest) -> str:
    """The signed-in user's saved language, or "" (follow the cookie and the browser)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    language = getattr(user, "language", "")
    return language if translation.check_for_language(language) else ""


def _supported(code: str) -> str:
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return ""


def language_from_scope(scope: dict) -> str:
    """The language of a WebSocket (no middleware there): as for pages, the user's preference, then the switcher's
    cookie, then Accept-Language, then the default."""
    user = scope.get("user")
    if user is not None and user.is_authenticated and translation.check_for_language(getattr(user, "language", "")):
        return user.language
    headers = dict(scope.get("headers") or [])
    cookie = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1")).get(settings.LANGUAGE_COOKIE_NAME)
    if cookie is not None and _supported(cookie.value):
        return _supported(cookie.value)
    for code, _quality in parse_accept_lang_header(headers.get(b"accept-language", b"").decode("latin-1")):
        if code != "*" and _supported(code):
            return _supported(code)
    return settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    """After LocaleMiddleware and AuthenticationMiddleware: activate the user's preference for this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = user_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def _known(language: str) -> bool:
    return language in dict(settings.LANGUAGES)


@login_not_required
@require_POST
def set_language_view(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie and redirect back, works without JavaScript), remembered for a signed-in user."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and _known(language) and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response
