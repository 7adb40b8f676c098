"""Privacy page (keep photos) and "delete all my data"."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from analysis.models import Analysis, Face, LiveSession
from tests.analysis_factories import make_analysis

pytestmark = pytest.mark.django_db
PRIVACY = reverse("analysis:privacy")
DELETE_ALL = reverse("analysis:delete_all")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_privacy_page_shows_the_switch_and_the_delete_link(signed_in, user):
    make_analysis(user, faces=["happy", "sad"], photo=True)

    response = signed_in.get(PRIVACY)
    html = response.content.decode()

    assert response.status_code == 200
    assert 'name="keep_photos"' in html and "checked" in html
    assert DELETE_ALL in html
    assert '<dd data-count="faces">2</dd>' in html and '<dd data-count="photos">1</dd>' in html


def test_toggling_keep_photos_persists(signed_in, user):
    response = signed_in.post(PRIVACY, {}, follow=True)  # an unticked checkbox sends nothing

    user.refresh_from_db()
    assert user.keep_photos is False
    assert "deleted as soon as they are analysed" in response.content.decode()
    assert "checked" not in response.content.decode().split('name="keep_photos"', 1)[1].split(">", 1)[0]

    signed_in.post(PRIVACY, {"keep_photos": "on"})

    user.refresh_from_db()
    assert user.keep_photos is True


def test_switching_off_leaves_existing_photos(signed_in, user):
    analysis = make_analysis(user, faces=["happy"], photo=True)

    signed_in.post(PRIVACY, {})

    analysis.refresh_from_db()
    assert analysis.photo and default_storage.exists(analysis.photo.name)


def test_privacy_link_in_the_account_menu(signed_in):
    assert f'href="{PRIVACY}"' in signed_in.get(reverse("analysis:history")).content.decode()


def test_delete_all_confirmation_page_lists_counts(signed_in, user):
    make_analysis(user, faces=["happy", "sad", "fear"], photo=True, thumbnail=True)
    make_analysis(user)

    html = signed_in.get(DELETE_ALL).content.decode()

    assert '<strong data-count="analyses">2</strong>' in html
    assert '<strong data-count="faces">3</strong>' in html
    assert '<strong data-count="photos">1</strong>' in html
    assert '<strong data-count="live_sessions">0</strong>' in html


@pytest.mark.parametrize("confirm", ["", "delete", "bob", "ALICE", "alic"])
def test_delete_all_with_wrong_confirmation_deletes_nothing(signed_in, user, confirm,
                                                            django_capture_on_commit_callbacks):
    analysis = make_analysis(user, faces=["happy"], photo=True, thumbnail=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(DELETE_ALL, {"confirm": confirm})

    assert response.status_code == 200
    assert 'class="field-errors"' in response.content.decode()
    assert Analysis.objects.filter(owner=user).count() == 1 and Face.objects.count() == 1
    assert default_storage.exists(analysis.photo.name) and default_storage.exists(analysis.thumbnail.name)


@pytest.mark.parametrize("confirm", ["alice", "DELETE", " alice "])
def test_delete_all_deletes_own_data_and_files_only(signed_in, user, make_user, confirm,
                                                    django_capture_on_commit_callbacks):
    mine = [make_analysis(user, faces=["happy", "sad"], photo=True, thumbnail=True) for _ in range(2)]
    make_analysis(user, faces=["fear"], photo_discarded=True)
    now = timezone.now()
    LiveSession.objects.create(owner=user, model_name="fast", started_at=now, ended_at=now, duration_s=3)
    theirs = make_analysis(make_user(), faces=["angry"], photo=True, thumbnail=True)
    files = [a.photo.name for a in mine] + [a.thumbnail.name for a in mine]

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(DELETE_ALL, {"confirm": confirm}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("analysis:analyze")
    assert ("Deleted all your data: 3 analyses, 5 faces, 2 stored photos with their thumbnails and 1 live session."
            in response.content.decode())
    assert not LiveSession.objects.filter(owner=user).exists()
    assert not Analysis.objects.filter(owner=user).exists()
    assert not Face.objects.filter(analysis__owner=user).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert Face.objects.filter(analysis=theirs).count() == 1
    assert default_storage.exists(theirs.photo.name) and default_storage.exists(theirs.thumbnail.name)
    user.refresh_from_db()  # the account itself stays


def test_delete_all_needs_sign_in_and_csrf(client, user):
    make_analysis(user)
    assert client.post(DELETE_ALL, {"confirm": "DELETE"}).status_code == 302  # to sign-in
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)

    assert strict.post(DELETE_ALL, {"confirm": "DELETE"}).status_code == 403
    assert Analysis.objects.count() == 1
