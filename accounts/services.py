"""Writes to accounts. Views and forms validate input; these functions persist it."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from accounts.models import User


def _normalize_email(email: str) -> str:
    # Addresses are compared case-insensitively everywhere; store one canonical form.
    return email.strip().lower()


@transaction.atomic
def user_create(*, username: str, email: str, password: str) -> User:
    """Create an active, non-staff account. Raises ValidationError for a weak password."""
    user = User(username=username.strip(), email=_normalize_email(email))
    validate_password(password, user=user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def user_update_profile(*, user: User, first_name: str, last_name: str, email: str, language: str = "") -> User:
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.email = _normalize_email(email)
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name", "last_name", "email", "language"])
    return user
