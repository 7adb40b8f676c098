"""The admin site is for staff only; there they find, inspect and delete analyses, live sessions and
API tokens (revoke), and never edit results."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.api_tokens import token_create
from accounts.models import ApiToken
from analysis.models import Analysis, LiveSession
from tests.analysis_factories import days_ago, make_analysis

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


# --- Analyses, live sessions and API tokens in the admin -------------------------------------------

ANALYSES = "/admin/analysis/analysis/"


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def analyses(make_user):
    alice, bob = make_user(username="alice"), make_user(username="bob")
    return {
        "done": make_analysis(alice, name="beach.jpg", faces=["happy"], model="fast"),
        "failed": make_analysis(bob, name="broken.png", status=Analysis.Status.FAILED, model="vgg16"),
        "stuck": make_analysis(bob, name="waiting.jpg", status=Analysis.Status.PENDING,
                               created_at=timezone.now() - dt.timedelta(minutes=30)),
        "fresh": make_analysis(alice, name="new.jpg", status=Analysis.Status.RUNNING),
        "old": make_analysis(alice, name="old.jpg", faces=["sad"], created_at=days_ago(40)),
    }


def listed(response) -> set[str]:
    assert response.status_code == 200
    html = response.content.decode()
    return {name for name in ("beach.jpg", "broken.png", "waiting.jpg", "new.jpg", "old.jpg") if name in html}


def test_admin_lists_filters_and_searches_analyses(admin_client, analyses):
    bob = analyses["failed"].owner

    assert listed(admin_client.get(ANALYSES)) == {"beach.jpg", "broken.png", "waiting.jpg", "new.jpg", "old.jpg"}
    assert listed(admin_client.get(ANALYSES, {"attention": "failed"})) == {"broken.png"}
    assert listed(admin_client.get(ANALYSES, {"attention": "stuck"})) == {"waiting.jpg"}  # not the fresh one
    assert listed(admin_client.get(ANALYSES, {"status__exact": "running"})) == {"new.jpg"}
    assert listed(admin_client.get(ANALYSES, {"model_name__exact": "vgg16"})) == {"broken.png"}
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0).isoformat()
    assert "old.jpg" not in listed(admin_client.get(ANALYSES, {"created_at__gte": today}))
    assert listed(admin_client.get(ANALYSES, {"owner__id__exact": bob.pk})) == {"broken.png", "waiting.jpg"}
    assert listed(admin_client.get(ANALYSES, {"q": "bob"})) == {"broken.png", "waiting.jpg"}
    assert listed(admin_client.get(ANALYSES, {"q": "beach"})) == {"beach.jpg"}


def test_analysis_results_are_read_only_with_faces_inline(admin_client, analyses):
    done = analyses["done"]
    url = f"{ANALYSES}{done.id}/change/"

    page = admin_client.get(url).content.decode()
    assert 'id="faces-group"' in page and "Happy" in page  # faces shown inline
    assert 'name="status"' not in page and 'name="_save"' not in page  # a view, not a form

    assert admin_client.post(url, {"status": "failed", "face_count": "9"}).status_code == 403
    assert admin_client.get(f"{ANALYSES}add/").status_code == 403
    done.refresh_from_db()
    assert (done.status, done.face_count) == ("done", 1)


def test_admin_can_delete_an_analysis(admin_client, analyses):
    target = analyses["failed"]

    admin_client.post(f"{ANALYSES}{target.id}/delete/", {"post": "yes"})

    assert not Analysis.objects.filter(id=target.id).exists()


def test_admin_lists_live_sessions_read_only(admin_client, make_user):
    carol = make_user(username="carol")
    now = timezone.now()
    session = LiveSession.objects.create(owner=carol, model_name="fast", started_at=now, ended_at=now, duration_s=12,
                                         frames_received=30, frames_analysed=28, top_emotion="happy",
                                         emotion_counts={"happy": 20})

    assert "carol" in admin_client.get("/admin/analysis/livesession/", {"q": "carol"}).content.decode()
    assert "carol" not in admin_client.get("/admin/analysis/livesession/", {"q": "nobody"}).content.decode()
    assert admin_client.post(f"/admin/analysis/livesession/{session.id}/change/", {"duration_s": 1}).status_code == 403


def test_admin_searches_and_revokes_api_tokens(admin_client, make_user):
    dave, erin = make_user(username="dave"), make_user(username="erin")
    dave_key = token_create(user=dave, name="dave laptop").key
    token_create(user=erin, name="erin ci")

    page = admin_client.get("/admin/accounts/apitoken/", {"q": "dave"}).content.decode()
    assert "dave laptop" in page and "erin ci" not in page
    assert "digest" not in admin_client.get(
        f"/admin/accounts/apitoken/{ApiToken.objects.get(user=dave).pk}/change/").content.decode().lower()

    response = admin_client.post("/admin/accounts/apitoken/", {
        "action": "revoke", "_selected_action": [ApiToken.objects.get(user=dave).pk]}, follow=True)

    assert "Revoked 1 API token." in response.content.decode()
    assert list(ApiToken.objects.values_list("user__username", flat=True)) == ["erin"]
    assert Client().get("/api/v1/models/", HTTP_AUTHORIZATION=f"Token {dave_key}").status_code == 401
