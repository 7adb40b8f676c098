"""Reads about accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accounts.models import User


@dataclass(frozen=True)
class ProfileSummary:
    username: str
    email: str
    full_name: str
    date_joined: datetime
    last_login: datetime | None
    is_staff: bool


def user_email_taken(*, email: str, exclude_user_id: int | None = None) -> bool:
    """Whether another account already uses this address (case-insensitive)."""
    users = User.objects.filter(email__iexact=email.strip())
    if exclude_user_id is not None:
        users = users.exclude(pk=exclude_user_id)
    return users.exists()


def user_profile_summary(*, user: User) -> ProfileSummary:
    return ProfileSummary(
        username=user.get_username(),
        email=user.email,
        full_name=user.get_full_name(),
        date_joined=user.date_joined,
        last_login=user.last_login,
        is_staff=user.is_staff,
    )
