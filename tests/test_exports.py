"""CSV and JSON exports of the owner's faces."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from analysis.core.exports import COLUMNS
from ml.emotions import EMOTIONS
from tests.analysis_factories import days_ago, make_analysis

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def data(user, make_user):
    done = make_analysis(user, name="group.jpg", faces=[("happy", 0.91234567891), ("sad", 0.5)], model="vgg16",
                         detector="mtcnn", created_at=days_ago(2))
    old = make_analysis(user, name="=cmd|calc.png", faces=[("fear", 0.6)], created_at=days_ago(60))
    make_analysis(user, name="nobody.jpg", created_at=days_ago(1))  # done, no face found
    make_analysis(user, name="pending.jpg", status="pending")
    make_analysis(user, name="failed.jpg", status="failed")
    make_analysis(make_user(), name="theirs.jpg", faces=["angry"] * 3)
    return done, old


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_csv_has_header_and_only_own_done_faces(signed_in, data):
    done, old = data

    response = signed_in.get(reverse("analysis:export_csv"))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    today = timezone.localdate().strftime("%Y%m%d")
    assert response["Content-Disposition"] == f'attachment; filename="fer-faces-{today}.csv"'
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert list(rows[0]) == COLUMNS
    assert [(r["file_name"], r["face_index"], r["emotion"]) for r in rows] == [
        ("'=cmd|calc.png", "0", "fear"), ("group.jpg", "0", "happy"), ("group.jpg", "1", "sad"), ("nobody.jpg", "", ""),
    ]
    first = rows[1]
    assert first["file_name"] == "group.jpg" and first["model"] == "vgg16" and first["detector"] == "mtcnn"
    assert (first["x"], first["y"], first["w"], first["h"]) == ("0", "20", "50", "60")
    assert dt.datetime.fromisoformat(first["created_at"]) == done.created_at


def test_csv_probabilities_are_rounded_to_four_places(signed_in, data):
    done, _ = data
    face = done.faces.get(index=0)

    rows = list(csv.DictReader(io.StringIO(body(signed_in.get(reverse("analysis:export_csv"))))))
    row = next(r for r in rows if r["analysis_id"] == str(done.id) and r["face_index"] == "0")

    assert row["confidence"] == "0.9123"  # stored as 0.91234567891
    for emotion in EMOTIONS:
        assert len(row[f"p_{emotion}"].partition(".")[2]) <= 4
        assert float(row[f"p_{emotion}"]) == pytest.approx(face.probabilities[emotion], abs=5e-5)


def test_photo_with_no_face_is_one_row_with_empty_face_fields(signed_in, data):
    rows = list(csv.DictReader(io.StringIO(body(signed_in.get(reverse("analysis:export_csv"))))))
    document = json.loads(body(signed_in.get(reverse("analysis:export_json"))))

    (row,) = [r for r in rows if r["file_name"] == "nobody.jpg"]
    assert row["model"] == "fast" and row["created_at"]
    assert all(row[column] == "" for column in COLUMNS[COLUMNS.index("face_index"):])
    (record,) = [f for f in document["faces"] if f["file_name"] == "nobody.jpg"]
    assert record["face_index"] is None and record["box"] is None and record["probabilities"] is None
    assert record["emotion"] is None and record["confidence"] is None


def test_csv_neutralises_spreadsheet_formulas_in_file_names(signed_in, data):
    rows = list(csv.DictReader(io.StringIO(body(signed_in.get(reverse("analysis:export_csv"))))))

    assert rows[0]["file_name"] == "'=cmd|calc.png"


def test_json_shape_and_round_trip(signed_in, data):
    done, old = data

    response = signed_in.get(reverse("analysis:export_json"))
    document = json.loads(body(response))

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].endswith('.json"')
    assert document["emotions"] == list(EMOTIONS)
    assert document["date_from"] is None and document["date_to"] is None
    assert len(document["faces"]) == 4  # 3 faces and the photo with none
    face = document["faces"][1]
    assert set(face) == {"analysis_id", "created_at", "file_name", "model", "detector", "face_index", "box",
                         "emotion", "confidence", "probabilities"}
    assert face["analysis_id"] == str(done.id) and face["file_name"] == "group.jpg"
    assert face["box"] == {"x": 0, "y": 20, "w": 50, "h": 60}
    assert face["probabilities"] == {e: round(p, 4) for e, p in done.faces.get(index=0).probabilities.items()}
    assert face["confidence"] == 0.9123
    assert {f["file_name"] for f in document["faces"]} == {"group.jpg", "=cmd|calc.png", "nobody.jpg"}


def test_json_with_no_faces_is_valid(signed_in):
    document = json.loads(body(signed_in.get(reverse("analysis:export_json"))))

    assert document["faces"] == []


def test_date_range_parameters_filter_exports(signed_in, data):
    last_30 = json.loads(body(signed_in.get(reverse("analysis:export_json"), {"period": "30"})))
    custom = list(csv.DictReader(io.StringIO(body(signed_in.get(reverse("analysis:export_csv"), {
        "date_from": days_ago(70).date().isoformat(), "date_to": days_ago(50).date().isoformat(),
    })))))

    assert {f["file_name"] for f in last_30["faces"]} == {"group.jpg", "nobody.jpg"}
    assert last_30["date_to"] == timezone.localdate().isoformat()
    assert [r["file_name"] for r in custom] == ["'=cmd|calc.png"]


def test_bad_range_parameters_fall_back_to_everything(signed_in, data):
    response = signed_in.get(reverse("analysis:export_json"), {"date_from": "junk", "period": "x"})

    assert response.status_code == 200
    assert len(json.loads(body(response))["faces"]) == 4


def test_statistics_page_links_exports_with_its_range(signed_in, data):
    html = signed_in.get(reverse("analysis:statistics"), {"period": "90"}).content.decode()

    assert f'{reverse("analysis:export_csv")}?period=90' in html
    assert f'{reverse("analysis:export_json")}?period=90' in html


def test_exports_need_sign_in(client):
    assert client.get(reverse("analysis:export_csv")).status_code == 302
    assert client.get(reverse("analysis:export_json")).status_code == 302
