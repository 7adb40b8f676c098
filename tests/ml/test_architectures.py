from __future__ import annotations

import keras
import numpy as np
import pytest

from ml.training.architectures import ARCHITECTURES, build, default_input_spec


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_every_architecture_reads_48px_grey_faces(arch):
    spec = default_input_spec(arch)
    assert (spec.size, spec.channels) == (48, 1)
    model = build(arch)
    faces = np.random.default_rng(0).integers(0, 256, size=(2, 48, 48, 1)).astype("float32")
    probs = np.asarray(model.predict_on_batch(faces))
    assert probs.shape == (2, 7)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)


def test_vgg16_has_the_vgg16_layout_with_batch_norm_after_every_convolution():
    model = build("vgg16")
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert [c.filters for c in convs] == [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    assert len(norms) == len(convs)
    # Four poolings at 48 px: block 5 still sees a 3x3 map.
    assert model.get_layer("block5_conv3_relu").output.shape[1:3] == (3, 3)


def test_resnet50_v1_upscales_inside_the_model():
    model = build("resnet50_v1")
    assert model.get_layer("upscale").output.shape[1:] == (96, 96, 1)
    assert model.get_layer("grey_to_rgb").output.shape[1:] == (96, 96, 3)


def test_resnet50_keeps_48px_maps_with_the_resnet50_stages():
    model = build("resnet50")
    blocks = [layer.name for layer in model.layers if layer.name.endswith("_add")]
    assert [sum(name.startswith(f"stage{s}_") for name in blocks) for s in (1, 2, 3, 4)] == [3, 4, 6, 3]
    sides = [model.get_layer(f"stage{s}_block1_out").output.shape[1] for s in (1, 2, 3, 4)]
    assert sides == [48, 24, 12, 6]  # no stride-2 stem, no max-pool
    assert model.get_layer("stage4_block3_out").output.shape[-1] == 2048
    assert not [layer for layer in model.layers if isinstance(layer, keras.layers.MaxPooling2D)]


def test_resnet50_blocks_start_as_the_identity():
    model = build("resnet50")
    gammas = [layer.gamma for layer in model.layers if layer.name.endswith("_3_bn")]
    assert len(gammas) == 16 and all(float(np.abs(np.asarray(g)).max()) == 0.0 for g in gammas)


def test_only_resnet50_v1_offers_imagenet_weights():
    for arch in ("fast", "vgg16", "resnet50"):
        with pytest.raises(ValueError, match="ImageNet"):
            build(arch, imagenet=True)
