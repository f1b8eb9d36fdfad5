"""The residual CNN, with its residual block written out by hand."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers


def residual_block(x, filters: int, name: str, l2: float = 0.0):
    """Pre-activation residual block: (BatchNorm -> ELU -> Conv) x 2, plus the skip.

    When the number of channels changes, the skip path is a 1x1 convolution so
    the two paths can be added.

    Parameters
    ----------
    x : KerasTensor
        Input feature map (N, H, W, C).
    filters : int
        Output channels.
    name : str
        Prefix for layer names.
    l2 : float
        L2 weight decay on the convolution kernels (0 for none).

    Returns
    -------
    KerasTensor
        Same height and width as ``x``, ``filters`` channels.
    """
    reg = keras.regularizers.L2(l2) if l2 else None
    shortcut = x
    if x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, use_bias=False, kernel_regularizer=reg, name=f"{name}_skip")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(x)
    y = layers.ELU(name=f"{name}_elu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_regularizer=reg, name=f"{name}_conv1")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    y = layers.ELU(name=f"{name}_elu2")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_regularizer=reg, name=f"{name}_conv2")(y)
    return layers.Add(name=f"{name}_add")([shortcut, y])


def build_resnet(
    num_classes: int,
    image_size: int = 128,
    widths: Sequence[int] = (32, 64, 128, 256),
    blocks_per_stage: int = 1,
    head_units: int = 256,
    dropout: float = 0.3,
    l2: float = 0.0,
    name: str = "gem_resnet",
    stem_kernel: int = 4,
) -> keras.Model:
    """Residual CNN like the published one.

    Stride-2 stem and a 3x3 max-pool (as in ResNet), one stage of residual blocks per width with max-pooling
    between stages, global average pooling, a residual dense head, logits out.
    Rescaling is inside the model: it takes RGB values 0-255.

    The stem's kernel is divisible by its stride (4 x 4, stride 2), so every input pixel is
    covered by the same number of kernel taps. With an odd kernel (the published 5 x 5) pixels
    in even and odd positions are covered 3 and 2 times along each axis, and every input
    gradient, trained or not, carries that 2-pixel checkerboard (Odena et al., Distill 2016;
    :func:`gemlib.explain.grid_energy` measures it).

    Parameters
    ----------
    num_classes : int
        Number of output logits.
    image_size : int
        Input side length.
    widths : sequence of int
        Filters per stage.
    blocks_per_stage : int
        Residual blocks per stage.
    head_units : int
        Width of the dense head.
    dropout : float
        Dropout before the logits.
    l2 : float
        L2 weight decay on convolution kernels.
    name : str
        Model name.
    stem_kernel : int
        Side of the stride-2 stem convolution (5 reproduces the checkerboard of the old stem).

    Returns
    -------
    keras.Model
        Outputs logits (no softmax), shape (N, num_classes).
    """
    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    x = layers.Conv2D(widths[0], stem_kernel, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ELU(name="stem_elu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for s, w in enumerate(widths):
        for b in range(blocks_per_stage):
            x = residual_block(x, w, name=f"stage{s + 1}_block{b + 1}", l2=l2)
        if s < len(widths) - 1:
            x = layers.MaxPooling2D(2, name=f"stage{s + 1}_pool")(x)
    x = layers.BatchNormalization(name="final_bn")(x)
    x = layers.ELU(name="final_elu")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    h = layers.Dense(head_units, name="head_dense0")(x)
    y = layers.BatchNormalization(name="head_bn")(h)
    y = layers.ELU(name="head_elu")(y)
    y = layers.Dense(head_units, name="head_dense1")(y)
    h = layers.Add(name="head_add")([h, y])
    h = layers.ELU(name="head_out_elu")(h)
    if dropout:
        h = layers.Dropout(dropout, name="head_dropout")(h)
    logits = layers.Dense(num_classes, name="logits")(h)
    return keras.Model(inputs, logits, name=name)


def replace_head(backbone: keras.Model, num_classes: int, dropout: float = 0.3, name: str = "transfer") -> keras.Model:
    """New logits on the global-pooled features of a trained model.

    Parameters
    ----------
    backbone : keras.Model
        A model from :func:`build_resnet` (its ``gap`` layer is reused).
    num_classes : int
        Classes of the new task.
    dropout : float
        Dropout before the new logits.
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Shares layers (and weights) with ``backbone`` up to ``gap``.
    """
    features = backbone.get_layer("gap").output
    h = layers.Dense(256, activation="elu", name="new_head_dense")(features)
    if dropout:
        h = layers.Dropout(dropout, name="new_head_dropout")(h)
    logits = layers.Dense(num_classes, name="new_logits")(h)
    return keras.Model(backbone.input, logits, name=name)


def stride_coverage(kernel: int, stride: int = 2, size: int = 16) -> np.ndarray:
    """How many kernel windows of a strided convolution cover each input pixel.

    The windows are placed as Keras places them with ``padding="same"``: ``ceil(size / stride)``
    outputs per axis, and the padding needed to fit them split with the smaller half first.
    Counting along one axis and multiplying the two axes gives the 2-D count.

    Parameters
    ----------
    kernel : int
        Side of the square kernel.
    stride : int
        Step between windows.
    size : int
        Side of the square input.

    Returns
    -------
    numpy.ndarray
        (size, size) int counts; a 5 x 5 kernel at stride 2 covers inner pixels 9, 6 or 4 times,
        a 4 x 4 one covers every inner pixel 4 times.
    """
    if kernel < 1 or stride < 1 or size < 1:
        raise ValueError(f"kernel, stride and size must be positive, got {kernel}, {stride}, {size}")
    outputs = -(-size // stride)
    pad_before = max((outputs - 1) * stride + kernel - size, 0) // 2
    counts = np.zeros(size, np.int64)
    for start in range(-pad_before, -pad_before + outputs * stride, stride):
        counts[max(start, 0) : max(start + kernel, 0)] += 1
    return np.outer(counts, counts)
