"""What the pages say about confidence and models: a face under its model's calibrated threshold is marked
"uncertain" (still with its seven probabilities), and model pickers name each model with its accuracy in
words, a poor one said to be so (issue 13: calibrated confidence, honest choices)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from analysis.core.choices import model_catalogue, uncertain_below
from tests.analysis_factories import make_analysis

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def face_headings(html: str) -> list[str]:
    return re.findall(r'<h2 id="face-\d+">(.*?)</h2>', html, re.S)


def test_a_face_under_the_threshold_is_marked_uncertain_on_the_result_page(signed_in, user):
    threshold = uncertain_below("fast")
    if threshold is None:
        pytest.skip("the fast model has no calibration in its card")
    analysis = make_analysis(user, faces=[("happy", threshold + 0.05), ("sad", threshold - 0.05)])
    page = signed_in.get(reverse("analysis:detail", args=[analysis.id])).content.decode()
    sure, unsure = face_headings(page)
    assert "badge-uncertain" not in sure and "badge-uncertain" in unsure
    assert page.count('class="prob-row') == 14  # both faces keep their seven probabilities


def test_pickers_name_models_with_their_accuracy_and_say_which_is_poor(signed_in):
    page = signed_in.get(reverse("analysis:analyze")).content.decode()
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', page))
    for model in model_catalogue():
        text = options[model["name"]]
        if model["accuracy"] is not None:
            assert f"{round(model['accuracy'] * 100)}% on FER2013 test faces" in text
        assert ("much less accurate" in text) == (model["quality"] == "poor")
