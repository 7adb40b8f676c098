"""Every page needs sign-in except the landing page, auth pages, health check and static files."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PRIVATE = [
    reverse("analysis:analyze"),
    reverse("analysis:history"),
    reverse("analysis:statistics"),
    reverse("analysis:live"),
    reverse("analysis:api"),
    reverse("accounts:profile"),
    reverse("accounts:password_change"),
    reverse("analysis:privacy"),
    reverse("analysis:delete_all"),
    reverse("analysis:export_csv"),
    reverse("analysis:export_json"),
    reverse("analysis:status"),
]

PUBLIC = [
    reverse("landing"),
    reverse("accounts:login"),
    reverse("accounts:signup"),
    reverse("accounts:password_reset"),
    reverse("accounts:password_reset_done"),
    reverse("healthz"),
    "/static/css/site.css",
]


@pytest.mark.parametrize("url", PRIVATE)
def test_private_pages_redirect_anonymous_visitors_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.parametrize("url", PRIVATE)
def test_private_pages_open_when_signed_in(client, user, url):
    client.force_login(user)

    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", PUBLIC)
def test_public_pages_need_no_sign_in(client, url):
    assert client.get(url).status_code == 200
