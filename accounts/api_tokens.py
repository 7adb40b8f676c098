"""API tokens: services, reads and the DRF authentication class.

A key looks like ``fer_<43 url-safe characters>`` and is shown once, when created. Only its
SHA-256 digest is stored (a key has 256 random bits, so a plain digest is enough: nothing to
brute-force), plus its first characters so people can tell their tokens apart. Clients send it
as ``Authorization: Token <key>`` (``Bearer <key>`` works too).

A password change or reset revokes every token of the account (`revoke_on_password_change`): someone
who knew the old password may have created one, and a token must not outlive the password it came with.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, User
from fer_site.errors import ServiceError

KEY_PREFIX = "fer_"
MAX_TOKENS_PER_USER = 50
DEFAULT_TOKEN_NAME = "API token"
# `last_used_at` is written at most this often per token, so API calls do not each cost a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenLimitReached(ServiceError):
    code = "token_limit_reached"


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    key: str  # the only time the clear key exists


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


@transaction.atomic
def token_create(*, user: User, name: str = "") -> NewToken:
    """A new token for `user`; raises TokenLimitReached past MAX_TOKENS_PER_USER."""
    if token_list(user=user).count() >= MAX_TOKENS_PER_USER:
        raise TokenLimitReached(
            _("You have %(n)s API tokens, the most allowed; revoke some on your profile page first.")
            % {"n": MAX_TOKENS_PER_USER}
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=(name or "").strip()[:64] or DEFAULT_TOKEN_NAME, digest=_digest(key), prefix=key[:12]
    )
    return NewToken(token=token, key=key)


def token_revoke(*, user: User, token_id: int) -> bool:
    """Delete one of `user`'s tokens; False when there is no such token of theirs."""
    deleted, _ = token_list(user=user).filter(id=token_id).delete()
    return bool(deleted)


def token_revoke_selected(*, tokens: QuerySet[ApiToken]) -> int:
    """Delete the given tokens, whoever owns them (the admin's action); the number deleted."""
    deleted, _ = tokens.delete()
    return deleted


def token_revoke_all(*, user: User) -> int:
    """Delete every token of `user`; the number deleted."""
    deleted, _ = token_list(user=user).delete()
    return deleted


def revoke_on_password_change(sender, *, user: User, **kwargs) -> None:
    """Receiver of `accounts.signals.password_changed` (connected in AccountsConfig.ready)."""
    token_revoke_all(user=user)


def token_authenticate(*, key: str) -> ApiToken | None:
    """The active user's token for `key`, or None; records when it was last used."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>`` (or ``Bearer <key>``). Listed first, so 401s carry WWW-Authenticate."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: use 'Token <key>'."))
        try:
            key = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        return token.user, token

    def authenticate_header(self, request) -> str:
        return "Token"
