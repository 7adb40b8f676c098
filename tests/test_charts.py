"""The one chart style: every chart drawn for a phone and for a wide card, never larger than drawn,
labels that do not collide, the live-session timeline and the statistics page's live chart alike."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from analysis.models import LiveSession
from analysis.web import charts
from analysis.web.timeline_chart import timeline_svg
from tests.analysis_factories import make_analysis

SVG = "{http://www.w3.org/2000/svg}"


def drawings(markup: str) -> dict[str, ET.Element]:
    frame = ET.fromstring(str(markup))
    assert frame.tag == "div" and "chart-frame" in frame.get("class")
    return {svg.get("class").split()[-1].removeprefix("chart-"): svg for svg in frame}


def width_of(svg: ET.Element) -> float:
    return float(svg.get("viewBox").split()[2])


def texts(svg: ET.Element) -> list[ET.Element]:
    return list(svg.iter(f"{SVG}text"))


def _bars() -> str:
    return charts.bar_chart(chart_id="c", title="t", description="d",
                            bars=[charts.Bar(name, value, "#000") for name, value in
                                  [("Happy", 10), ("Surprise", 2), ("Sad", None)]])


def _columns(n: int) -> str:
    return charts.stacked_column_chart(chart_id="o", title="t", description="d",
                                       labels=[f"{d + 1} Nov" for d in range(n)],
                                       series=[(name, "#000", [d % 3 for d in range(n)])
                                               for name in ("Angry", "Happy", "Surprise", "Neutral")])


def _paired() -> str:
    return charts.paired_bar_chart(chart_id="m", title="t", description="d",
                                   rows=[("fast", 16, 0.8), ("vgg16", 3, None)],
                                   left_title="Faces analysed", right_title="Mean confidence")


def _timeline() -> str:
    return timeline_svg([{"t": t, "n": 2, "shares": {"happy": 0.5, "sad": 0.5 if t < 6 else 0.0}}
                         for t in range(2, 12, 2)])


@pytest.mark.parametrize("make, wide", [(_bars, charts.BAR_WIDTH), (lambda: _columns(30), charts.WIDE_WIDTH),
                                        (_paired, 720), (_timeline, 720)])
def test_each_chart_is_drawn_for_a_phone_and_a_wide_card_and_never_enlarged(make, wide):
    svgs = drawings(make())

    assert set(svgs) == {"narrow", "wide"}
    assert width_of(svgs["narrow"]) == charts.NARROW and width_of(svgs["wide"]) == wide
    for svg in svgs.values():
        assert svg.get("style") == f"max-width: {width_of(svg):g}px"  # shown at most at its drawn size
        assert svg.get("role") == "img" and svg.find(f"{SVG}title").text and svg.find(f"{SVG}desc").text
        assert {t.get("class") for t in texts(svg)} <= {"chart-text", "chart-value", "chart-small", "chart-muted",
                                                         "chart-heading"}  # sizes come from charts.css
        for text in texts(svg):
            assert 0 <= float(text.get("x")) <= width_of(svg)


def test_wide_frames_switch_later_than_bar_frames():
    assert "chart-frame-wide" in ET.fromstring(_columns(3)).get("class")
    assert "chart-frame-wide" not in ET.fromstring(_bars()).get("class")


def test_column_labels_never_collide_on_a_phone():
    narrow = drawings(_columns(30))["narrow"]
    below_axis = max(float(t.get("y")) for t in texts(narrow))
    labels = sorted(float(t.get("x")) for t in texts(narrow) if float(t.get("y")) == below_axis)

    assert 2 <= len(labels) <= 5  # 30 days: a few dates, not 30 piled up
    assert min(b - a for a, b in zip(labels, labels[1:], strict=False)) >= len("30 Nov") * 7
    # Totals over 30 thin columns would overlap: they are left to the tooltips and the data table.
    assert not [t for t in texts(narrow) if t.get("text-anchor") == "middle" and float(t.get("y")) < below_axis]


def test_paired_panels_stack_on_a_phone_and_sit_side_by_side_when_wide():
    headings = {variant: [(float(t.get("x")), float(t.get("y")))
                          for t in texts(svg) if t.get("class") == "chart-heading"]
                for variant, svg in drawings(_paired()).items()}

    (x1, y1), (x2, y2) = headings["narrow"]
    assert x1 == x2 and y2 > y1
    (x1, y1), (x2, y2) = headings["wide"]
    assert y1 == y2 and x2 > x1


def test_missing_values_say_no_data():
    assert "no data" in "".join(t.text for t in texts(drawings(_bars())["wide"]))


def test_timeline_draws_one_titled_line_per_emotion_seen():
    wide = drawings(_timeline())["wide"]
    lines = list(wide.iter(f"{SVG}polyline"))

    assert [line.find(f"{SVG}title").text for line in lines] == ["Happy", "Sad"]
    assert {t.text for t in texts(wide)} >= {"2 s", "10 s", "0%", "100%", "Happy", "Sad"}
    assert "No faces were analysed" in timeline_svg([])


@pytest.mark.django_db
def test_statistics_page_draws_the_live_chart_in_the_same_style(client, user):
    client.force_login(user)
    make_analysis(user, faces=["happy"])
    start = timezone.now()
    LiveSession.objects.create(owner=user, model_name="fast", started_at=start, ended_at=start, duration_s=75.4,
                               frames_analysed=9, faces_seen=1, face_detections=9, top_emotion="sad",
                               emotion_counts={"sad": 9})

    html = client.get(reverse("analysis:statistics")).content.decode()

    assert '<h3 id="h-live">Faces per emotion in live sessions</h3>' in html
    live = html.split('id="chart-live"', 1)[1]
    assert live.split("</div>", 1)[0].count('<svg class="chart chart-') == 2
    assert "<title>Sad: 9</title>" in live
    assert '<dd data-stat="live_time">1 min 15 s</dd>' in html
