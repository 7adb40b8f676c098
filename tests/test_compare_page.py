"""The result page's "compare models" and heatmaps, through Django's test client (the browser tests drive them)."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from PIL import Image

from analysis.core import services
from analysis.core.choices import model_catalogue, model_names
from analysis.core.photo_checks import check_image_bytes
from analysis.models import Analysis
from tests.analysis_factories import make_analysis
from tests.photos import astronaut, encode

pytestmark = pytest.mark.django_db


def two_face_photo() -> bytes:
    return encode(np.hstack([astronaut(), astronaut()[:, ::-1]]))


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def analysed(owner, **options) -> Analysis:
    analysis = services.analysis_create(owner=owner, image=check_image_bytes(two_face_photo(), "two.jpg"), **options)
    return services.analysis_process(analysis_id=analysis.id)


def detail(client, analysis: Analysis) -> str:
    return client.get(reverse("analysis:detail", args=[analysis.id])).content.decode()


def test_compare_runs_every_model_and_lays_them_side_by_side(signed_in, user, django_capture_on_commit_callbacks):
    analysis = analysed(user)
    page = detail(signed_in, analysis)
    assert "Compare all models" in page and "compare-table" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(reverse("analysis:compare", args=[analysis.id]))
    assert response.status_code == 302 and response["Location"].endswith(f"/analyses/{analysis.id}/#compare")
    assert f"Comparing {len(model_names())} models" in str(list(get_messages(response.wsgi_request))[0])
    analysis.refresh_from_db()
    assert analysis.compare_status == "done" and analysis.compare_models == model_names()
    page = detail(signed_in, analysis)
    assert page.count('class="compare-table"') == 2  # one per face
    # The analysis's own model first, then the others; each with its card's accuracy.
    columns = re.findall(r'<th scope="col" class="compare-model" data-model="([^"]+)"', page)
    assert columns[: len(model_names())] == ["fast", *[m for m in model_names() if m != "fast"]]
    for model in model_catalogue():
        if model["accuracy"] is not None:
            assert f"{round(model['accuracy'] * 100)}% accurate" in page
    for face in analysis.faces.all():
        says = [face.predictions[m]["emotion"].capitalize() for m in columns[: len(model_names())]]
        verdict = "All models agree" if len(set(says)) == 1 else "The models disagree"
        assert verdict in page


def test_compare_is_refused_without_the_photo_and_is_owner_only(signed_in, user, bob_client):
    kept_not = make_analysis(user, faces=["happy"])
    response = signed_in.post(reverse("analysis:compare", args=[kept_not.id]))
    assert "photo of this analysis was not kept" in str(list(get_messages(response.wsgi_request))[0])
    assert "Upload it again to compare models" in detail(signed_in, kept_not)
    theirs = make_analysis(user, faces=["happy"], photo=True)
    assert bob_client.post(reverse("analysis:compare", args=[theirs.id])).status_code == 404
    assert bob_client.get(reverse("analysis:face_heatmap", args=[theirs.id, 0])).status_code == 404
    assert not Analysis.objects.exclude(compare_status="").exists()


def test_heatmap_toggle_serves_the_png_of_the_chosen_model(signed_in, user):
    analysis = analysed(user)
    page = detail(signed_in, analysis)
    assert page.count('<details class="heatmap"') == 2
    url = reverse("analysis:face_heatmap", args=[analysis.id, 1])
    assert f'src="{url}?model=fast"' in page
    response = signed_in.get(url, {"model": "resnet50"})
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (192, 192)
    bad = signed_in.get(url, {"model": "vgg99"})
    assert bad.status_code == 400 and "Unknown model" in bad.content.decode()
    assert signed_in.get(reverse("analysis:face_heatmap", args=[analysis.id, 5])).status_code == 404


@pytest.fixture
def bob_client(make_user):
    from django.test import Client

    client = Client()
    client.force_login(make_user(username="bob"))
    return client


def test_disagreement_is_spelt_out(signed_in, user):
    from tests.analysis_factories import probabilities

    analysis = make_analysis(user, faces=["happy"], photo=True)
    Analysis.objects.filter(pk=analysis.pk).update(compare_models=["fast", "vgg16", "resnet50"], compare_status="done")
    face = analysis.faces.get()
    face.predictions = {m: {"emotion": e, "confidence": c, "probabilities": probabilities(e, c)}
                        for m, e, c in [("fast", "happy", 0.8), ("vgg16", "sad", 0.6), ("resnet50", "happy", 0.5)]}
    face.save()
    page = re.sub(r"\s+", " ", detail(signed_in, analysis))
    assert "The models disagree:" in page and "All models agree" not in page
    assert "Happy (2 models)</span>, <span class=\"compare-vote\">Sad (1 model)" in page
    says = re.findall(r'<td class="compare-says( compare-differs)?" data-model="(\w+)">(\w+)</td>', page)
    assert says == [("", "fast", "Happy"), (" compare-differs", "vgg16", "Sad"), ("", "resnet50", "Happy")]
