"""Classifier architectures, built with the Keras 3 API only (runs on TensorFlow or JAX).

Every model takes grey faces as raw 0-255 values, shape (size, size, channels), and does its own
scaling, so callers never need to know a model's normalisation. Output: softmax over 7 classes.

- `fast`: a compact CNN for CPUs and real-time use. The 48 px stage has a single convolution
  (the costliest stage in a plain 4x2-conv design), then three stages of two 3x3 convolutions
  whose first convolution is narrower than the second (48-64, 96-128, 192-256), with batch
  norm, global average pooling and dropout. Against the plain 32-64-128-256 design it keeps
  the final width and runs about 1.6x faster on 2 CPU cores.
- `vgg16`, `resnet50`: the seed project's models: a Keras applications backbone +
  GlobalAveragePooling2D + Dropout(0.2) + Dense(7, softmax). At 48 px their ImageNet stems pool
  the map down to 1x1 (VGG16) or 2x2 (ResNet50), so `input_size` can upscale the face (96 px by
  default) to keep useful spatial resolution; `imagenet=True` loads ImageNet weights for users
  who have internet (3 channels required).
"""

from __future__ import annotations

import keras
from keras import layers

from ml.emotions import NUM_CLASSES
from ml.input_spec import InputSpec

ARCHITECTURES = ("fast", "vgg16", "resnet50")
__all__ = ["ARCHITECTURES", "InputSpec", "build", "default_input_spec"]


def default_input_spec(arch: str) -> InputSpec:
    if arch == "fast":
        return InputSpec(48, 1)
    if arch in ("vgg16", "resnet50"):
        return InputSpec(96, 3)
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")


def _conv_bn(x, filters: int, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_fast(spec: InputSpec, dropout: float = 0.3) -> keras.Model:
    inputs = keras.Input((spec.size, spec.size, spec.channels), name="face")
    x = layers.Rescaling(1.0 / 255.0, name="scale")(inputs)
    x = _conv_bn(x, 32, "stem")
    x = layers.MaxPooling2D(name="pool1")(x)
    for stage, (inner, outer) in enumerate(((48, 64), (96, 128), (192, 256)), start=2):
        x = _conv_bn(x, inner, f"s{stage}a")
        x = _conv_bn(x, outer, f"s{stage}b")
        if stage < 4:
            x = layers.MaxPooling2D(name=f"pool{stage}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32", name="emotion")(x)
    return keras.Model(inputs, outputs, name="fast")


def build_backbone_model(arch: str, spec: InputSpec, imagenet: bool = False, dropout: float = 0.2) -> keras.Model:
    if imagenet and spec.channels != 3:
        raise ValueError("ImageNet weights need 3-channel input")
    inputs = keras.Input((spec.size, spec.size, spec.channels), name="face")
    if arch == "vgg16":
        backbone_cls, preprocess = keras.applications.VGG16, keras.applications.vgg16.preprocess_input
    elif arch == "resnet50":
        backbone_cls, preprocess = keras.applications.ResNet50, keras.applications.resnet50.preprocess_input
    else:
        raise ValueError(f"unknown backbone {arch!r}")
    backbone = backbone_cls(
        include_top=False,
        weights="imagenet" if imagenet else None,
        input_shape=(spec.size, spec.size, spec.channels),
    )
    # Both expect caffe-style input: BGR 0-255 minus the ImageNet means. Grey stays grey.
    x = preprocess(inputs) if spec.channels == 3 else inputs
    x = backbone(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32", name="emotion")(x)
    return keras.Model(inputs, outputs, name=arch)


def build(arch: str, spec: InputSpec | None = None, imagenet: bool = False) -> keras.Model:
    """Build an untrained classifier of the named architecture."""
    spec = spec or default_input_spec(arch)
    if arch == "fast":
        if imagenet:
            raise ValueError("the fast model has no ImageNet weights")
        return build_fast(spec)
    if arch in ("vgg16", "resnet50"):
        return build_backbone_model(arch, spec, imagenet=imagenet)
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
