"""Statistics page and selectors: counts from the owner's data only, date ranges, SVG charts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from analysis.core import statistics
from analysis.core.date_ranges import DateRange
from analysis.web import charts
from analysis.web.forms import RangeFilterForm
from ml.emotions import EMOTIONS
from tests.analysis_factories import days_ago, make_analysis

pytestmark = pytest.mark.django_db
STATISTICS = reverse("analysis:statistics")
ALL_TIME = DateRange(None, None, "all")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def table_count(html: str, emotion: str) -> int:
    match = re.search(rf'<tr data-emotion="{emotion}"><th scope="row">\w+</th><td class="num">(\d+)</td>', html)
    assert match, f"no row for {emotion}"
    return int(match.group(1))


def headline_value(html: str, name: str) -> int:
    return int(re.search(rf'<dd data-stat="{name}">(\d+)</dd>', html).group(1))


@pytest.fixture
def data(user, make_user):
    """Alice: 3 happy, 2 sad, 1 angry in range; a no-face photo, a failed one; old and foreign data aside."""
    make_analysis(user, faces=[("happy", 0.9), ("happy", 0.7), ("sad", 0.6)], model="fast", created_at=days_ago(2))
    make_analysis(user, faces=[("happy", 0.8), ("sad", 0.4), ("angry", 0.5)], model="vgg16", created_at=days_ago(9))
    make_analysis(user, created_at=days_ago(3))  # no face found
    make_analysis(user, status="failed", created_at=days_ago(4))
    make_analysis(user, faces=["fear"] * 4, created_at=days_ago(45))  # outside the default 30 days
    make_analysis(make_user(), faces=["disgust"] * 5 + ["happy"] * 5, created_at=days_ago(1))  # someone else


def test_page_counts_own_faces_per_emotion_in_the_last_30_days(signed_in, data):
    response = signed_in.get(STATISTICS)
    html = response.content.decode()

    assert response.status_code == 200
    assert {e: table_count(html, e) for e in EMOTIONS} == {
        "angry": 1, "disgust": 0, "fear": 0, "happy": 3, "sad": 2, "surprise": 0, "neutral": 0,
    }
    assert headline_value(html, "analyses") == 4
    assert headline_value(html, "faces") == 6
    assert headline_value(html, "no_face") == 1
    assert headline_value(html, "failed") == 1


def test_charts_are_inline_accessible_svg(signed_in, data):
    html = signed_in.get(STATISTICS).content.decode()

    # Each chart comes drawn twice (phone and wide card); CSS shows one.
    assert html.count('<svg class="chart chart-narrow"') == 4 and html.count('<svg class="chart chart-wide"') == 4
    for chart_id in ("chart-emotions", "chart-over-time", "chart-models", "chart-confidence"):
        assert f'id="{chart_id}"' in html
        for variant in ("narrow", "wide"):
            assert f'id="{chart_id}-{variant}" role="img"' in html
            assert f'<title id="{chart_id}-{variant}-title">' in html
    assert 'fill="#198754"' in html  # happy's colour
    assert "happy: 3" in html  # the chart description carries the count
    assert "<title>Happy: 3</title>" in html  # so does the bar's tooltip, labelled like the data table
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_all_time_includes_older_data(signed_in, data):
    html = signed_in.get(STATISTICS, {"period": "all"}).content.decode()

    assert table_count(html, "fear") == 4
    assert headline_value(html, "faces") == 10
    assert "all time" in html


def test_custom_range_excludes_rows_outside_it(signed_in, data):
    html = signed_in.get(STATISTICS, {
        "date_from": days_ago(5).date().isoformat(), "date_to": days_ago(1).date().isoformat(),
    }).content.decode()

    assert table_count(html, "happy") == 2
    assert table_count(html, "angry") == 0
    assert headline_value(html, "analyses") == 3


def test_another_users_data_is_never_counted(signed_in, make_user):
    make_analysis(make_user(), faces=["disgust"] * 3, created_at=days_ago(1))

    response = signed_in.get(STATISTICS, {"period": "all"})

    assert response.context["headline"]["faces"] == 0
    assert "No analyses" in response.content.decode()
    assert "<svg" not in response.content.decode().split("<main", 1)[1]


def test_empty_state_when_only_no_face_photos(signed_in, user):
    make_analysis(user)

    html = signed_in.get(STATISTICS).content.decode()

    assert "No faces were found" in html
    assert headline_value(html, "no_face") == 1


@pytest.mark.parametrize("params", [
    {"period": "forever"},
    {"date_from": "not-a-date"},
    {"group": "month"},
    {"date_from": "2025-03-01", "date_to": "2025-02-01"},
])
def test_invalid_parameters_give_errors_not_500(signed_in, data, params):
    response = signed_in.get(STATISTICS, params)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'class="field-errors"' in response.content.decode()


def test_over_time_per_day_and_per_week(user):
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 14)
    at = [timezone.make_aware(dt.datetime.combine(monday + dt.timedelta(days=d), dt.time(12))) for d in (0, 2, 8)]
    make_analysis(user, faces=["happy", "sad"], created_at=at[0])
    make_analysis(user, faces=["happy"], created_at=at[1])
    make_analysis(user, faces=["angry"], created_at=at[2])
    span = DateRange(monday, monday + dt.timedelta(days=13), "custom")

    daily = statistics.emotions_over_time(owner=user, date_range=span, group="day")
    weekly = statistics.emotions_over_time(owner=user, date_range=span, group="week")

    assert len(daily.periods) == 14 and daily.periods[0] == monday
    assert daily.series["happy"][0] == 1 and daily.series["happy"][2] == 1 and daily.series["angry"][8] == 1
    assert sum(daily.totals) == 4
    assert weekly.periods == [monday, monday + dt.timedelta(days=7)]
    assert weekly.series["happy"] == [2, 0] and weekly.series["sad"] == [1, 0] and weekly.series["angry"] == [0, 1]


def test_week_grouping_on_the_page(signed_in, data):
    response = signed_in.get(STATISTICS, {"group": "week"})

    assert response.context["group"] == "week"
    assert "Emotions per week" in response.content.decode()


def test_emotion_summary_and_model_comparison(user, make_user):
    make_analysis(user, faces=[("happy", 0.9), ("happy", 0.7)], model="fast")
    make_analysis(user, faces=[("sad", 0.5)], model="vgg16")
    make_analysis(user, model="vgg16")  # done, no face
    make_analysis(make_user(), faces=[("happy", 0.1)], model="fast")

    summary = {row["emotion"]: row for row in statistics.emotion_summary(owner=user, date_range=ALL_TIME)}
    models = statistics.model_comparison(owner=user, date_range=ALL_TIME)

    assert summary["happy"]["faces"] == 2 and summary["happy"]["mean_confidence"] == pytest.approx(0.8)
    assert summary["fear"] == {"emotion": "fear", "faces": 0, "mean_confidence": None}
    assert models == [
        {"model": "fast", "analyses": 1, "faces": 2, "mean_confidence": pytest.approx(0.8)},
        {"model": "vgg16", "analyses": 2, "faces": 1, "mean_confidence": pytest.approx(0.5)},
    ]


def test_default_range_is_the_last_30_days():
    form = RangeFilterForm({}, default_period="30")
    today = timezone.localdate()

    assert form.date_range() == DateRange(today - dt.timedelta(days=29), today, "30")
    assert RangeFilterForm({}, default_period="all").date_range().is_all_time


def test_chart_text_is_escaped():
    svg = charts.bar_chart(chart_id="c", title="<b>t</b>", description="d",
                           bars=[charts.Bar("<script>x</script>", 3, "#000")])

    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "&lt;b&gt;t&lt;/b&gt;" in svg
    assert 'aria-labelledby="c-narrow-title c-narrow-desc"' in svg
    assert 'aria-labelledby="c-wide-title c-wide-desc"' in svg


def test_axis_scales():
    assert [charts.nice_max(v) for v in (0, 1, 3, 7, 12, 230)] == [1, 1, 5, 10, 20, 250]
    assert [charts.count_step(v) for v in (0, 3, 5, 6, 29, 230)] == [1, 1, 1, 2, 10, 50]
