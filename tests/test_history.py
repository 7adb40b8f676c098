"""History page: own analyses only, newest first, pagination, filters, bulk delete."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from analysis.models import Analysis, Face
from tests.analysis_factories import days_ago, make_analysis

pytestmark = pytest.mark.django_db
HISTORY = reverse("analysis:history")


def listed_names(response) -> list[str]:
    """Photo names of the rows, in page order (each row links its name to the detail page)."""
    return re.findall(r'<a class="history-name" href="[^"]+">([^<]+)</a>', response.content.decode())


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_lists_only_own_analyses_newest_first(signed_in, user, make_user):
    other = make_user()
    make_analysis(user, name="old.jpg", faces=["happy"], created_at=days_ago(3))
    make_analysis(user, name="new.jpg", faces=["sad"], created_at=days_ago(1))
    make_analysis(user, name="middle.jpg", status="failed", created_at=days_ago(2))
    make_analysis(other, name="secret.jpg", faces=["angry"])

    response = signed_in.get(HISTORY)

    assert response.status_code == 200
    assert listed_names(response) == ["new.jpg", "middle.jpg", "old.jpg"]
    assert "secret.jpg" not in response.content.decode()


def test_row_shows_thumbnail_or_placeholder_and_links(signed_in, user):
    kept = make_analysis(user, name="kept.jpg", faces=["happy", "sad"], photo=True, thumbnail=True, model="vgg16")
    discarded = make_analysis(user, name="gone.jpg", faces=["fear"], photo_discarded=True)

    html = signed_in.get(HISTORY).content.decode()

    assert reverse("analysis:thumbnail", args=[kept.id]) in html
    assert reverse("analysis:thumbnail", args=[discarded.id]) not in html
    assert "photo not kept" in html
    assert reverse("analysis:detail", args=[kept.id]) in html
    assert reverse("analysis:delete", args=[kept.id]) in html
    assert "vgg16" in html and "Happy" in html
    assert reverse("analysis:export_csv") in html and reverse("analysis:export_json") in html


def test_empty_state_links_to_analyze(signed_in):
    html = signed_in.get(HISTORY).content.decode()

    assert "not analysed any photos yet" in html
    assert reverse("analysis:analyze") in html


def test_paginates_twenty_per_page_and_keeps_filters(signed_in, user):
    for i in range(25):
        make_analysis(user, name=f"p{i:02d}.jpg", faces=["happy"], created_at=days_ago(30 - i))

    first = signed_in.get(HISTORY)
    second = signed_in.get(HISTORY, {"page": 2})
    filtered = signed_in.get(HISTORY, {"emotion": "happy"})

    assert len(listed_names(first)) == 20
    assert listed_names(first)[0] == "p24.jpg"
    assert listed_names(second) == [f"p{i:02d}.jpg" for i in range(4, -1, -1)]
    assert "?emotion=happy&amp;page=2" in filtered.content.decode()
    assert signed_in.get(HISTORY, {"page": "nonsense"}).status_code == 200
    assert signed_in.get(HISTORY, {"page": 999}).status_code == 200


def test_filter_by_emotion_matches_any_face_once(signed_in, user):
    make_analysis(user, name="mixed.jpg", faces=[("happy", 0.9), ("sad", 0.6), ("sad", 0.7)])
    make_analysis(user, name="sad-only.jpg", faces=["sad"])
    make_analysis(user, name="angry.jpg", faces=["angry"])
    make_analysis(user, name="noface.jpg")

    response = signed_in.get(HISTORY, {"emotion": "sad"})

    assert sorted(listed_names(response)) == ["mixed.jpg", "sad-only.jpg"]


def test_filter_by_model(signed_in, user):
    make_analysis(user, name="a.jpg", model="vgg16")
    make_analysis(user, name="b.jpg", model="fast")

    assert listed_names(signed_in.get(HISTORY, {"model": "vgg16"})) == ["a.jpg"]


def test_filter_by_date_range_is_inclusive(signed_in, user):
    make_analysis(user, name="d10.jpg", created_at=days_ago(10))
    make_analysis(user, name="d5.jpg", created_at=days_ago(5))
    make_analysis(user, name="d3.jpg", created_at=days_ago(3))
    make_analysis(user, name="d1.jpg", created_at=days_ago(1))
    start, end = days_ago(5).date().isoformat(), days_ago(3).date().isoformat()

    both = signed_in.get(HISTORY, {"date_from": start, "date_to": end})
    since = signed_in.get(HISTORY, {"date_from": end})

    assert listed_names(both) == ["d3.jpg", "d5.jpg"]
    assert listed_names(since) == ["d1.jpg", "d3.jpg"]


def test_date_range_follows_local_days(signed_in, user, settings):
    import datetime as dt
    from zoneinfo import ZoneInfo

    settings.TIME_ZONE = "America/New_York"  # UTC-5 in January
    local = ZoneInfo("America/New_York")
    # 23:30 on the 10th in New York is 04:30 UTC on the 11th: it belongs to the 10th here.
    make_analysis(user, name="late.jpg", created_at=dt.datetime(2025, 1, 10, 23, 30, tzinfo=local))
    make_analysis(user, name="next.jpg", created_at=dt.datetime(2025, 1, 11, 0, 0, tzinfo=local))
    make_analysis(user, name="early.jpg", created_at=dt.datetime(2025, 1, 10, 0, 0, tzinfo=local))

    day = signed_in.get(HISTORY, {"date_from": "2025-01-10", "date_to": "2025-01-10"})

    assert listed_names(day) == ["late.jpg", "early.jpg"]


@pytest.mark.parametrize("params", [
    {"emotion": "ecstatic"},
    {"model": "no-such-model"},
    {"date_from": "yesterday"},
    {"date_to": "2024-13-45"},
    {"date_from": "2025-02-01", "date_to": "2025-01-01"},
])
def test_invalid_filters_show_an_error_not_a_crash(signed_in, user, params):
    make_analysis(user, name="one.jpg", faces=["happy"])

    response = signed_in.get(HISTORY, params)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'class="field-errors"' in response.content.decode()
    assert listed_names(response) == ["one.jpg"]  # the bad filter is not applied


def test_model_choices_are_only_the_owners(signed_in, user, make_user):
    make_analysis(make_user(), model="secret-model")
    make_analysis(user, model="fast")

    html = signed_in.get(HISTORY).content.decode()

    assert "secret-model" not in html
    assert signed_in.get(HISTORY, {"model": "secret-model"}).context["form"].errors


def test_delete_many_deletes_only_own_and_their_files(signed_in, user, make_user, django_capture_on_commit_callbacks):
    mine = [make_analysis(user, name=f"m{i}.jpg", faces=["happy"], photo=True, thumbnail=True) for i in range(3)]
    theirs = make_analysis(make_user(), name="theirs.jpg", faces=["sad"], photo=True, thumbnail=True)
    files = [a.photo.name for a in mine[:2]] + [a.thumbnail.name for a in mine[:2]]
    assert all(default_storage.exists(name) for name in files)

    with django_capture_on_commit_callbacks(execute=True):  # files go once the deletion commits
        response = signed_in.post(
            reverse("analysis:delete_many"),
            {"ids": [str(mine[0].id), str(mine[1].id), str(theirs.id), "not-a-uuid", str(uuid.uuid4())]},
            follow=True,
        )

    assert response.redirect_chain[-1][0] == HISTORY
    assert "Deleted 2 analyses" in response.content.decode()
    assert set(Analysis.objects.values_list("id", flat=True)) == {mine[2].id, theirs.id}
    assert Face.objects.filter(analysis=theirs).count() == 1
    assert not any(default_storage.exists(name) for name in files)
    assert default_storage.exists(theirs.photo.name) and default_storage.exists(mine[2].photo.name)


def test_delete_many_returns_to_the_filtered_page(signed_in, user):
    a = make_analysis(user, faces=["happy"])
    back = f"{HISTORY}?emotion=happy&page=1"

    response = signed_in.post(reverse("analysis:delete_many"), {"ids": [str(a.id)], "next": back})

    assert response.status_code == 302 and response["Location"] == back


def test_delete_many_refuses_foreign_redirects_and_get(signed_in, user):
    a = make_analysis(user)

    response = signed_in.post(reverse("analysis:delete_many"), {"ids": [str(a.id)], "next": "https://evil.example/"})

    assert response["Location"] == HISTORY
    assert signed_in.get(reverse("analysis:delete_many")).status_code == 405


def test_delete_many_with_nothing_selected_deletes_nothing(signed_in, user):
    make_analysis(user)

    response = signed_in.post(reverse("analysis:delete_many"), {}, follow=True)

    assert "Select at least one" in response.content.decode()
    assert Analysis.objects.count() == 1


def test_history_needs_sign_in(client):
    response = client.get(HISTORY)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_row_delete_asks_first_and_comes_back_to_the_same_page(signed_in, user):
    a = make_analysis(user, name="one.jpg", faces=["happy"])
    back = f"{HISTORY}?emotion=happy"

    html = signed_in.get(back).content.decode()
    response = signed_in.post(reverse("analysis:delete", args=[a.id]), {"next": back})

    assert 'data-confirm="Delete the analysis of one.jpg and its photo? This cannot be undone."' in html
    assert 'data-confirm="Delete the selected analyses' in html  # the bulk delete asks too
    assert response.status_code == 302 and response.url == back
    assert not Analysis.objects.filter(id=a.id).exists()
