"""Sign-up: a valid form creates an account and signs in; weak passwords are refused with reasons."""

import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

SIGNUP = reverse("accounts:signup")


def signup_data(**overrides):
    data = {
        "username": "bob",
        "email": "Bob@Example.com",
        "password1": "purple-Otter-42-lake",
        "password2": "purple-Otter-42-lake",
    }
    data.update(overrides)
    return data


def test_signup_page_renders(client):
    response = client.get(SIGNUP)

    assert response.status_code == 200
    assert b"Create your account" in response.content


def test_signup_creates_account_and_signs_in(client):
    response = client.post(SIGNUP, signup_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("analysis:analyze")
    user = User.objects.get(username="bob")
    assert user.email == "bob@example.com"
    assert not user.is_staff
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("analysis:analyze")).status_code == 200


def test_password_is_hashed_with_argon2(client, settings):
    from fer_site import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS  # the suite runs with a fast hasher
    client.post(SIGNUP, signup_data())

    assert User.objects.get(username="bob").password.startswith("argon2")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt!x", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("4815162342108", "This password is entirely numeric."),
        ("bobthebuilder1", "The password is too similar to the username."),
    ],
)
def test_weak_passwords_are_refused_with_the_reason_shown(client, password, message):
    response = client.post(SIGNUP, signup_data(username="bobthebuilder", password1=password, password2=password))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username="bobthebuilder").exists()


def test_mismatched_passwords_are_refused(client):
    response = client.post(SIGNUP, signup_data(password2="something-Else-99"))

    assert response.status_code == 200
    assert "The two password fields didn’t match." in response.content.decode()


def test_email_must_be_unique_ignoring_case(client, make_user):
    make_user(username="first", email="bob@example.com")

    response = client.post(SIGNUP, signup_data(email="BOB@example.COM"))

    assert response.status_code == 200
    assert "An account with this e-mail address already exists." in response.content.decode()


def test_username_must_be_unique_ignoring_case(client, make_user):
    make_user(username="Bob")

    response = client.post(SIGNUP, signup_data(username="bob", email="other@example.com"))

    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()


def test_signed_in_user_is_sent_away_from_signup(client, user):
    client.force_login(user)

    response = client.get(SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == reverse("analysis:analyze")
