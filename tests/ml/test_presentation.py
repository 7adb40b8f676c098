from __future__ import annotations

from ml.serving.presentation import label, quality, title


def test_poor_is_more_than_ten_points_below_the_best():
    assert quality("resnet50", 0.495, ("vgg16", 0.672)) == {
        "quality": "poor",
        "quality_reason": "49.5% on FER2013 test faces, 17.7 points below VGG16 (67.2%): more than 10 points "
                          "below the best model"}
    assert quality("fast", 0.634, ("vgg16", 0.672))["quality"] == "ok"
    assert quality("x", 0.572, ("vgg16", 0.672))["quality"] == "ok"  # 10.0 points: not more than 10
    assert quality("x", 0.571, ("vgg16", 0.672))["quality"] == "poor"
    assert quality("x", None, ("vgg16", 0.672))["quality"] == "unmeasured"


def test_labels_in_plain_words():
    assert label("fast", 0.6336, "ok") == "Fast: 63% on FER2013 test faces"
    assert label("vgg16+fast", 0.681, "ok") == "VGG16 + Fast: 68% on FER2013 test faces"
    assert label("resnet50", 0.4951, "poor").endswith("(much less accurate than the others)")
    assert label("new", None, "unmeasured") == "new: not yet measured on FER2013 test faces"
    assert title("ensemble") == "Ensemble"
