"""Sign in, sign out, password change and reset, profile."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.api_tokens import token_create
from accounts.models import ApiToken

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")

pytestmark = pytest.mark.django_db


def test_sign_in_with_correct_password(client, user, password):
    response = client.post(LOGIN, {"username": "alice", "password": password})

    assert response.status_code == 302
    assert response["Location"] == reverse("analysis:analyze")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_in_returns_to_the_requested_page(client, user, password):
    response = client.post(LOGIN, {"username": "alice", "password": password, "next": "/history/"})

    assert response["Location"] == "/history/"


def test_sign_in_ignores_offsite_next(client, user, password):
    response = client.post(LOGIN, {"username": "alice", "password": password, "next": "https://evil.example/"})

    assert response["Location"] == reverse("analysis:analyze")


def test_wrong_password_shows_an_error(client, user):
    response = client.post(LOGIN, {"username": "alice", "password": "not-my-password"})

    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_needs_post(client, user):
    client.force_login(user)

    assert client.get(LOGOUT).status_code == 405
    response = client.post(LOGOUT)

    assert response.status_code == 302
    assert response["Location"] == reverse("landing")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("analysis:history")).status_code == 302


def test_nav_shows_account_menu_when_signed_in(client, user):
    client.force_login(user)

    html = client.get(reverse("analysis:analyze")).content.decode()

    for label in ("Analyse", "History", "Statistics", "Live", "API", "Profile", "Change password", "Sign out"):
        assert label in html
    assert f'action="{LOGOUT}"' in html


def test_password_change(client, user, password):
    client.force_login(user)
    new = "fresh-Granite-77-river"

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password(new)
    # Still signed in on this device.
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_password_change_validates_the_new_password(client, user, password):
    client.force_login(user)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": "12345678901", "new_password2": "12345678901"},
    )

    assert response.status_code == 200
    assert "This password is entirely numeric." in response.content.decode()


def test_password_reset_by_email(client, user):
    response = client.post(reverse("accounts:password_reset"), {"email": "ALICE@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)

    # The first visit swaps the token for a session value and redirects to the form.
    form_url = client.get(link)["Location"]
    new = "brand-New-secret-314"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(new)


def test_password_reset_for_unknown_address_reveals_nothing(client, user):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_profile_shows_and_updates_details(client, user):
    client.force_login(user)

    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'value="alice@example.com"' in page

    response = client.post(
        reverse("accounts:profile"), {"first_name": "Alice", "last_name": "Liddell", "email": "Alice@Wonder.land"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email) == ("Alice", "Liddell", "alice@wonder.land")


def test_profile_refuses_an_address_used_by_another_account(client, user, make_user):
    make_user(username="carol", email="carol@example.com")
    client.force_login(user)

    response = client.post(
        reverse("accounts:profile"), {"first_name": "", "last_name": "", "email": "carol@example.com"}
    )

    assert response.status_code == 200
    assert "Another account already uses this e-mail address." in response.content.decode()


# --- A password change or reset revokes the account's API tokens ----------------------------------


def _token_works(key: str) -> bool:
    return Client().get("/api/v1/models/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_password_change_revokes_api_tokens_and_says_so(client, user, make_user, password):
    key = token_create(user=user, name="laptop").key
    other_key = token_create(user=make_user(username="bob"), name="bob's").key
    client.force_login(user)
    new = "fresh-Granite-77-river"

    response = client.post(reverse("accounts:password_change"),
                           {"old_password": password, "new_password1": new, "new_password2": new}, follow=True)

    assert "Your API tokens were revoked" in response.content.decode()
    assert not _token_works(key) and ApiToken.objects.filter(user=user).count() == 0
    assert _token_works(other_key)  # nobody else's
    assert "Changing or resetting your password revokes every token" in client.get(
        reverse("accounts:profile")).content.decode()


def test_password_reset_revokes_api_tokens_and_says_so(client, user):
    key = token_create(user=user).key
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    new = "brand-New-secret-314"

    response = client.post(client.get(link)["Location"], {"new_password1": new, "new_password2": new}, follow=True)

    assert "Your API tokens were revoked" in response.content.decode()
    assert not _token_works(key)


def test_tokens_survive_what_is_not_a_password_change(client, user, password):
    key = token_create(user=user).key
    client.force_login(user)

    client.post(reverse("accounts:profile"), {"first_name": "Alice", "last_name": "A", "email": user.email})
    client.post(LOGIN, {"username": "alice", "password": password})
    user.refresh_from_db()
    user.save()

    assert _token_works(key)


def test_tokens_survive_a_rehash_on_sign_in(client, user, password, settings):
    """Signing in with a hash of an older algorithm re-hashes the same password: not a change."""
    key = token_create(user=user).key
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                                 "django.contrib.auth.hashers.MD5PasswordHasher"]
    assert user.password.startswith("md5$")

    client.post(LOGIN, {"username": "alice", "password": password})

    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert _token_works(key)


def test_password_set_outside_the_site_revokes_tokens_too(user):
    key = token_create(user=user).key

    user.set_password("set-By-an-admin-2024")
    user.save()

    assert not _token_works(key)
