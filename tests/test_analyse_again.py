"""Analysing a stored photo again with another model or detector, from its result page."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from analysis.core import services
from analysis.core.choices import default_model, detector_names
from analysis.core.photo_checks import check_image_bytes
from analysis.models import Analysis
from fer_site.errors import ServiceError
from tests.photos import face_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def stored(owner, *, faces: int = 1) -> Analysis:
    """A finished analysis whose real photo is still stored."""
    analysis = services.analysis_create(owner=owner, image=check_image_bytes(face_photo(), "group.jpg"))
    Analysis.objects.filter(pk=analysis.pk).update(status="done", face_count=faces)
    analysis.refresh_from_db()
    return analysis


def other_detector(analysis: Analysis) -> str:
    return next(d for d in detector_names() if d != analysis.detector)


def again(client, analysis: Analysis, **fields):
    return client.post(reverse("analysis:again", args=[analysis.id]), fields)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_stored_photo_becomes_a_new_analysis_with_the_chosen_detector(
        signed_in, user, django_capture_on_commit_callbacks):
    source = stored(user)
    detector = other_detector(source)

    with django_capture_on_commit_callbacks(execute=False) as started:
        response = again(signed_in, source, model=default_model(), detector=detector)

    new = Analysis.objects.exclude(pk=source.pk).get()
    assert response.status_code == 302 and response.url == reverse("analysis:detail", args=[new.id])
    assert len(started) == 1  # handed to where work runs, after commit
    assert (new.owner, new.status, new.detector, new.model_name) == (user, "pending", detector, default_model())
    assert new.original_name == "group.jpg" and (new.width, new.height) == (source.width, source.height)
    with new.photo.open("rb") as a, source.photo.open("rb") as b:
        assert a.read() == b.read()
    assert new.photo.name != source.photo.name  # its own copy: deleting one leaves the other
    source.refresh_from_db()
    assert source.status == "done" and source.detector != detector
    assert f"with the {default_model()} model and the {detector} detector" in messages_of(response)[0]


def test_refused_clearly_when_the_photo_was_not_kept(signed_in, user):
    source = stored(user)
    source.photo.delete(save=False)
    Analysis.objects.filter(pk=source.pk).update(photo="", photo_discarded=True)

    response = again(signed_in, source, detector=other_detector(source))

    assert response.url == reverse("analysis:detail", args=[source.id])
    assert "was not kept" in messages_of(response)[0]
    assert Analysis.objects.count() == 1


def test_unknown_detector_is_refused_and_nothing_is_stored(signed_in, user):
    source = stored(user)

    response = again(signed_in, source, detector="crystal-ball")

    assert "Unknown detector 'crystal-ball'" in messages_of(response)[0]
    assert Analysis.objects.count() == 1


def test_only_the_owner_can_analyse_again(client, user, make_user):
    source = stored(user)
    client.force_login(make_user())

    assert again(client, source, detector=other_detector(source)).status_code == 404
    assert client.get(reverse("analysis:again", args=[source.id])).status_code in (404, 405)
    assert Analysis.objects.count() == 1
    with pytest.raises(ServiceError):  # the service's own backstop
        services.analysis_again(owner=make_user(), source=source)


def test_only_post(signed_in, user):
    assert signed_in.get(reverse("analysis:again", args=[stored(user).id])).status_code == 405


def test_result_page_offers_every_model_and_detector(signed_in, user):
    source = stored(user)

    html = signed_in.get(reverse("analysis:detail", args=[source.id])).content.decode()

    assert f'action="{reverse("analysis:again", args=[source.id])}"' in html
    for detector in detector_names():
        assert f'<option value="{detector}"' in html


def test_no_face_result_offers_a_button_per_other_detector(signed_in, user):
    source = stored(user, faces=0)

    html = signed_in.get(reverse("analysis:detail", args=[source.id])).content.decode()

    for detector in detector_names():
        assert (f"Try again with {detector}</button>" in html) == (detector != source.detector)


def test_result_without_its_photo_explains_instead_of_offering(signed_in, user):
    source = stored(user, faces=0)
    Analysis.objects.filter(pk=source.pk).update(photo="", photo_discarded=True)

    html = signed_in.get(reverse("analysis:detail", args=[source.id])).content.decode()

    assert "cannot be analysed again" in html
    assert reverse("analysis:again", args=[source.id]) not in html
