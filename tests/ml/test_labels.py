from __future__ import annotations

import numpy as np
import pytest

from ml.emotions import EMOTIONS
from ml.training.labels import (
    FERPLUS_COLUMNS,
    NO_MAJORITY,
    LabelFileError,
    load_ferplus_votes,
    majority_labels,
    mix_targets,
    sharpen,
)

HEADER = ",".join(FERPLUS_COLUMNS) + ",usage\n"


def votes_file(tmp_path, rows: list[tuple[dict, str]]):
    lines = [HEADER]
    for counts, usage in rows:
        lines.append(",".join(str(counts.get(c, 0)) for c in FERPLUS_COLUMNS) + f",{usage}\n")
    path = tmp_path / "votes.csv"
    path.write_text("".join(lines))
    return path


def test_votes_come_back_in_our_class_order_without_contempt_unknown_or_not_a_face(tmp_path):
    path = votes_file(tmp_path, [
        ({"happiness": 7, "contempt": 2, "unknown": 1}, "Training"),
        ({"anger": 4, "sadness": 3, "NF": 3}, "Training"),
        ({"neutral": 10}, "PublicTest"),
    ])
    votes = load_ferplus_votes(path, "Training")
    assert votes.shape == (2, 7)
    assert votes[0].tolist() == [0, 0, 0, 7, 0, 0, 0]  # happy only: contempt and unknown dropped
    assert votes[1][EMOTIONS.index("angry")] == 4 and votes[1][EMOTIONS.index("sad")] == 3
    assert load_ferplus_votes(path, "PublicTest")[0][EMOTIONS.index("neutral")] == 10


def test_a_wrong_header_or_no_rows_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(LabelFileError, match="expected the columns"):
        load_ferplus_votes(bad)
    with pytest.raises(LabelFileError, match="no rows"):
        load_ferplus_votes(votes_file(tmp_path, [({"neutral": 1}, "Training")]), "PrivateTest")


def test_majority_needs_a_unique_top_vote():
    votes = np.array([[0, 0, 0, 6, 0, 0, 4], [0, 0, 0, 5, 0, 0, 5], [0] * 7], dtype=np.float32)
    assert majority_labels(votes).tolist() == [3, NO_MAJORITY, NO_MAJORITY]


def test_mixed_targets_weigh_label_votes_and_teacher():
    y = np.array([3, 0])
    votes = np.array([[0, 0, 0, 5, 0, 0, 5], [0] * 7], dtype=np.float32)  # second face: no emotion vote
    targets = mix_targets(y, votes, ferplus_weight=0.5)
    assert np.allclose(targets.sum(axis=1), 1)
    assert targets[0, 3] == pytest.approx(0.75) and targets[0, 6] == pytest.approx(0.25)
    assert targets[1, 0] == pytest.approx(1.0)  # no votes: the FER2013 label alone

    teacher = np.full((2, 7), 1 / 7, dtype=np.float32)
    with_teacher = mix_targets(y, votes, ferplus_weight=0.5, teacher=teacher, teacher_weight=0.4)
    assert np.allclose(with_teacher, 0.6 * targets + 0.4 / 7)
    with pytest.raises(LabelFileError):
        mix_targets(y, votes[:1], ferplus_weight=0.5)


def test_temperature_softens_and_keeps_the_order():
    p = np.array([[0.7, 0.2, 0.1]], dtype=np.float32)
    soft = sharpen(p, 2.0)
    assert np.allclose(soft.sum(), 1) and soft[0, 0] < 0.7 and soft[0].argsort().tolist() == [2, 1, 0]
    assert np.allclose(sharpen(p, 1.0), p)
