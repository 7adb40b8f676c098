"""The admin site is for staff only."""

import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert "login/?next=/admin/" in response["Location"]


def test_signed_in_non_staff_user_is_sent_to_admin_login(client, user):
    client.force_login(user)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    assert client.get("/admin/accounts/user/").status_code == 302


def test_staff_user_reaches_admin(client, make_user):
    staff = make_user(username="staffer", is_staff=True, is_superuser=True)
    client.force_login(staff)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
