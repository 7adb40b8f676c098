"""Create and revoke API tokens from the site (profile and API pages). Keys are shown once.

The new key travels to the next page in the session and is removed from it when shown
(`pop_new_token`), so a reload does not show it again.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import api_tokens

SESSION_KEY = "new_api_token"
RETURN_TO = {"profile": "accounts:profile", "api": "analysis:api"}


def pop_new_token(request: HttpRequest) -> dict | None:
    """The token created just before this page ({"name", "key"}), once."""
    return request.session.pop(SESSION_KEY, None)


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(RETURN_TO.get(request.POST.get("next", ""), "accounts:profile"))


@require_POST
def token_create_view(request: HttpRequest) -> HttpResponse:
    try:
        new = api_tokens.token_create(user=request.user, name=request.POST.get("name", ""))
    except api_tokens.TokenLimitReached as exc:
        messages.error(request, exc.message)
        return _back(request)
    request.session[SESSION_KEY] = {"name": new.token.name, "key": new.key}
    messages.success(request, _("Created the API token “%(name)s”. Copy it now: it is shown only once.")
                     % {"name": new.token.name})
    return _back(request)


@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    if api_tokens.token_revoke(user=request.user, token_id=token_id):
        messages.success(request, _("Token revoked: programs using it can no longer sign in."))
    else:
        messages.error(request, _("No such token."))
    return _back(request)
