"""GET stats/ (the statistics page's figures) and GET models/ (the model cards)."""

from __future__ import annotations

import pytest

from analysis.core import statistics
from analysis.core.choices import model_catalogue
from analysis.core.date_ranges import DateRange
from analysis.models import Analysis
from ml.model_card import ModelCard
from ml.serving import registry
from tests.analysis_factories import days_ago, make_analysis
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db
STATS = "/api/v1/stats/"


@pytest.fixture
def history(user, bob):
    make_analysis(user, faces=[("happy", 0.9), ("sad", 0.6)], created_at=days_ago(1))
    make_analysis(user, faces=[("happy", 0.7)], model="vgg16", created_at=days_ago(3))
    make_analysis(user, faces=[], created_at=days_ago(3))
    make_analysis(user, status=Analysis.Status.FAILED, created_at=days_ago(5))
    make_analysis(user, faces=["angry"], created_at=days_ago(100))
    make_analysis(bob, faces=["fear", "fear"], created_at=days_ago(1))


def test_stats_match_the_statistics_page(api, user, history):
    body = api.get(STATS).json()  # default: the last 30 days, as on the page
    date_range = DateRange(days_ago(29).date(), days_ago(0).date(), "30")
    assert body["range"]["period"] == "30" and body["range"]["start"] == date_range.start.isoformat()
    assert body["headline"] == statistics.headline(owner=user, date_range=date_range)
    assert body["headline"] == {"analyses": 4, "done": 3, "no_face": 1, "failed": 1, "in_progress": 0, "faces": 3}
    happy = next(r for r in body["per_emotion"] if r["emotion"] == "happy")
    assert happy["faces"] == 2 and happy["mean_confidence"] == pytest.approx(0.8)
    assert {r["model"]: r["faces"] for r in body["per_model"]} == {"fast": 2, "vgg16": 1}
    over_time = body["over_time"]
    assert over_time["group"] == "day" and len(over_time["periods"]) == 30
    assert sum(over_time["totals"]) == 3 and sum(over_time["series"]["happy"]) == 2


def test_stats_date_range_and_grouping(api, history):
    body = api.get(STATS, {"period": "all", "group": "week"}).json()
    assert body["headline"]["analyses"] == 5 and body["over_time"]["group"] == "week"
    body = api.get(STATS, {"date_from": days_ago(4).date().isoformat(),
                           "date_to": days_ago(2).date().isoformat()}).json()
    assert body["range"]["period"] == "custom" and body["headline"]["analyses"] == 2


@pytest.mark.parametrize("params", [{"period": "12"}, {"date_from": "soon"}, {"group": "hour"}, {"period": ""},
                                    {"group": ""}, {"date_from": ""}])
def test_stats_rejects_garbage(api, params):
    assert_error(api.get(STATS, params), 400, "validation_error")


def test_stats_range_that_ends_before_it_starts_is_empty(api, history):
    body = api.get(STATS, {"date_from": days_ago(2).date().isoformat(), "date_to": days_ago(4).date().isoformat()})

    assert body.status_code == 200 and body.json()["headline"]["analyses"] == 0


def test_stats_and_models_need_authentication(anon):
    assert_error(anon.get(STATS), 401, "not_authenticated")
    assert_error(anon.get("/api/v1/models/"), 401, "not_authenticated")


def test_models_list_the_model_cards(api):
    body = api.get("/api/v1/models/").json()
    assert [m["name"] for m in body] == [m["name"] for m in model_catalogue()]
    fast = next(m for m in body if m["name"] == "fast")
    assert set(fast) == {"name", "arch", "description", "input", "accuracy", "per_class", "metrics", "default",
                         "label", "quality", "quality_reason", "ece", "temperature", "uncertain_below"}
    assert fast["input"]["size"] == 48 and sum(m["default"] for m in body) == 1
    card = ModelCard.load(registry.model_dirs()["fast"])
    assert fast["uncertain_below"] == card.calibration.get("threshold")
    assert fast["temperature"] == card.calibration.get("temperature")
    assert fast["label"].startswith("Fast: ")
    poor = [m for m in body if m["quality"] == "poor"]
    assert all(not m["default"] and m["quality_reason"] for m in poor)


def test_faces_under_the_models_threshold_are_marked_uncertain(api, user):
    threshold = next(m for m in api.get("/api/v1/models/").json() if m["name"] == "fast")["uncertain_below"]
    if threshold is None:
        pytest.skip("the fast model has no calibration in its card")
    analysis = make_analysis(user, faces=[("happy", threshold + 0.05), ("sad", threshold - 0.05)])
    faces = api.get(f"/api/v1/analyses/{analysis.id}/").json()["faces"]
    assert [f["uncertain"] for f in sorted(faces, key=lambda f: -f["confidence"])] == [False, True]
