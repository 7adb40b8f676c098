"""Classifier architectures, built with the Keras 3 API only (runs on TensorFlow or JAX).

Every model takes grey faces as raw 0-255 values, shape (size, size, channels), and does its own
scaling, so callers never need to know a model's normalisation. Output: softmax over 7 classes.

- `fast`: a compact CNN for CPUs and real-time use, about 28 M multiply-adds per face. A
  16-channel 3x3 convolution at 48 px (cheap on one grey channel, and it keeps the fine detail
  the anchors' recipes keep), then one convolution of 48 channels at 24 px, two of 64-96 at
  12 px and two of 128-192 at 6 px, each with batch norm and ReLU, max-pooling between stages,
  global average pooling, dropout and the softmax. Sized so that ONNX Runtime classifies over
  2,000 faces/s at batch 64 on 2 CPU cores (`python -m ml.bench`).
- `fast_v1`: the first compact model (stages 32, 48-64, 96-128, 192-256; 72 M multiply-adds),
  shipped until 2026-11-29; kept so model directories trained with it still load.
- `vgg16`: the VGG16 layout (13 3x3 convolutions in blocks of 64x2, 128x2, 256x3, 512x3,
  512x3) with batch norm after every convolution, as the from-scratch FER2013 recipes that pass
  72% use (anchors.md); Keras' own VGG16 has no batch norm and stalls from scratch. At 48 px it
  pools after blocks 1-4 only, so block 5 still sees a 3x3 map, then global average pooling,
  dropout and the softmax.
- `resnet50`: ResNet-50 rebuilt for 48 px faces: the bottleneck stages of ResNet-50 (3, 4, 6
  and 3 blocks of widths 64-128-256-512, expansion 4) after a 3x3 stride-1 stem with no
  max-pool, so the stages see 48, 24, 12 and 6 px maps (the ImageNet stem, 7x7 stride 2 plus a
  max-pool, leaves 3x3 maps from a 96 px input and underfits from scratch: anchors.md). Batch
  norm everywhere; the last batch norm of each residual branch starts at zero, so every block
  starts as the identity. About 2.6 G multiply-adds per face: a GPU model.
- `resnet50_v1`: Keras applications ResNet50 with its ImageNet stem, the face doubled to 96 px
  and repeated to three channels inside the model (`imagenet=True` loads ImageNet weights for
  users who have internet); kept so its shipped weights load until they are replaced.

All three take (48, 48, 1) by default, so every model reads the same crops.
"""

from __future__ import annotations

import keras
from keras import layers

from ml.emotions import NUM_CLASSES
from ml.input_spec import InputSpec

ARCHITECTURES = ("fast", "fast_v1", "vgg16", "resnet50", "resnet50_v1")
__all__ = ["ARCHITECTURES", "InputSpec", "build", "default_input_spec"]


def default_input_spec(arch: str) -> InputSpec:
    if arch in ARCHITECTURES:
        return InputSpec(48, 1)
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")


def _conv_bn(x, filters: int, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_fast(spec: InputSpec, dropout: float = 0.2) -> keras.Model:
    inputs = keras.Input((spec.size, spec.size, spec.channels), name="face")
    x = layers.Rescaling(1.0 / 255.0, name="scale")(inputs)
    x = _conv_bn(x, 16, "stem")
    x = layers.MaxPooling2D(name="pool1")(x)
    x = _conv_bn(x, 48, "s2")
    x = layers.MaxPooling2D(name="pool2")(x)
    x = _conv_bn(x, 64, "s3a")
    x = _conv_bn(x, 96, "s3b")
    x = layers.MaxPooling2D(name="pool3")(x)
    x = _conv_bn(x, 128, "s4a")
    x = _conv_bn(x, 192, "s4b")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32", name="emotion")(x)
    return keras.Model(inputs, outputs, name="fast")


def build_fast_v1(spec: InputSpec, dropout: float = 0.3) -> keras.Model:
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


VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))


def build_vgg16(spec: InputSpec, dropout: float = 0.3) -> keras.Model:
    inputs = keras.Input((spec.size, spec.size, spec.channels), name="face")
    x = layers.Rescaling(1.0 / 255.0, name="scale")(inputs)
    # Pool while the map is at least 6 px: 48 px input -> 24, 12, 6, 3 (block 5 unpooled).
    side = spec.size
    for block, (filters, convs) in enumerate(VGG16_BLOCKS, start=1):
        for conv in range(1, convs + 1):
            x = _conv_bn(x, filters, f"block{block}_conv{conv}")
        if block < len(VGG16_BLOCKS) and side >= 6:
            x = layers.MaxPooling2D(name=f"block{block}_pool")(x)
            side //= 2
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32", name="emotion")(x)
    return keras.Model(inputs, outputs, name="vgg16")


RESNET50_STAGES = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))  # width, blocks, stride of the first block


def _bottleneck(x, width: int, stride: int, name: str):
    out_channels = width * 4
    shortcut = x
    if stride != 1 or x.shape[-1] != out_channels:
        shortcut = layers.Conv2D(out_channels, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    y = layers.Conv2D(width, 1, use_bias=False, name=f"{name}_1_conv")(x)
    y = layers.ReLU(name=f"{name}_1_relu")(layers.BatchNormalization(name=f"{name}_1_bn")(y))
    y = layers.Conv2D(width, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    y = layers.ReLU(name=f"{name}_2_relu")(layers.BatchNormalization(name=f"{name}_2_bn")(y))
    y = layers.Conv2D(out_channels, 1, use_bias=False, name=f"{name}_3_conv")(y)
    y = layers.BatchNormalization(gamma_initializer="zeros", name=f"{name}_3_bn")(y)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([shortcut, y]))


def build_resnet50(spec: InputSpec, dropout: float = 0.2) -> keras.Model:
    inputs = keras.Input((spec.size, spec.size, spec.channels), name="face")
    x = layers.Rescaling(1.0 / 255.0, name="scale")(inputs)
    x = _conv_bn(x, 64, "stem")
    for stage, (width, blocks, stride) in enumerate(RESNET50_STAGES, start=1):
        for block in range(blocks):
            x = _bottleneck(x, width, stride if block == 0 else 1, f"stage{stage}_block{block + 1}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32", name="emotion")(x)
    return keras.Model(inputs, outputs, name="resnet50")


def build_resnet50_v1(spec: InputSpec, imagenet: bool = False, dropout: float = 0.2,
                      upscale: int = 2) -> keras.Model:
    inputs = keras.Input((spec.size, spec.size, spec.channels), name="face")
    x = inputs
    if upscale > 1:  # the ImageNet stem divides by 4 before the first stage
        x = layers.UpSampling2D(upscale, interpolation="bilinear", name="upscale")(x)
    if spec.channels == 1:
        x = layers.Concatenate(name="grey_to_rgb")([x, x, x])
    side = spec.size * upscale
    backbone = keras.applications.ResNet50(
        include_top=False, weights="imagenet" if imagenet else None, input_shape=(side, side, 3)
    )
    # Caffe-style input as the backbone expects: BGR 0-255 minus the ImageNet means. Grey stays grey.
    x = backbone(keras.applications.resnet50.preprocess_input(x))
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32", name="emotion")(x)
    return keras.Model(inputs, outputs, name="resnet50")


def build(arch: str, spec: InputSpec | None = None, imagenet: bool = False) -> keras.Model:
    """Build an untrained classifier of the named architecture."""
    spec = spec or default_input_spec(arch)
    if arch == "fast" and not imagenet:
        return build_fast(spec)
    if arch == "fast_v1" and not imagenet:
        return build_fast_v1(spec)
    if imagenet and arch != "resnet50_v1":
        raise ValueError("only resnet50_v1 has ImageNet weights (vgg16 here is VGG16 with batch norm)")
    if arch == "vgg16":
        return build_vgg16(spec)
    if arch == "resnet50":
        return build_resnet50(spec)
    if arch == "resnet50_v1":
        return build_resnet50_v1(spec, imagenet=imagenet)
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
