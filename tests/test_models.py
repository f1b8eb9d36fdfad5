"""The hand-written residual block and the residual CNN."""

from __future__ import annotations

import keras
import numpy as np

from gemlib.models import build_resnet, replace_head, residual_block, stride_coverage


def test_residual_block_is_identity_plus_two_convolutions():
    inp = keras.Input((8, 8, 4))
    model = keras.Model(inp, residual_block(inp, 4, "b"))
    # zero the second convolution: the residual branch vanishes, the block is the identity
    conv2 = model.get_layer("b_conv2")
    conv2.set_weights([np.zeros_like(w) for w in conv2.get_weights()])
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 4)).astype("float32")
    np.testing.assert_allclose(model(x, training=False), x, atol=1e-6)
    names = [layer.name for layer in model.layers]
    assert names.index("b_bn1") < names.index("b_elu1") < names.index("b_conv1") < names.index("b_bn2")


def test_block_projects_the_skip_when_width_changes():
    inp = keras.Input((8, 8, 4))
    out = residual_block(inp, 6, "p")
    assert out.shape[-1] == 6
    assert "p_skip" in [layer.name for layer in keras.Model(inp, out).layers]


def test_resnet_shapes_rescaling_and_logits():
    m = build_resnet(5, image_size=32, widths=(8, 16, 32, 64))
    assert m.input_shape == (None, 32, 32, 3) and m.output_shape == (None, 5)
    assert m.get_layer("rescale").scale == 1 / 255
    assert m.layers[-1].get_config()["activation"] == "linear"  # logits, no softmax
    x = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype("float32")
    assert np.isfinite(m(x, training=False)).all()
    # pooling between the four stages: 32 -> 16 (stem) -> 8 (stem pool) -> 4 -> 2 -> 1
    assert m.get_layer("stage4_block1_add").output.shape[1:3] == (1, 1)


def test_replace_head_keeps_backbone_weights():
    base = build_resnet(5, image_size=32, widths=(8, 16, 32, 64))
    new = replace_head(base, 3)
    assert new.output_shape == (None, 3)
    np.testing.assert_array_equal(new.get_layer("stem_conv").get_weights()[0], base.get_layer("stem_conv").get_weights()[0])


def _keras_coverage(kernel: int, stride: int, size: int) -> np.ndarray:
    """d(sum of an all-ones convolution)/d(input) at an all-ones input: the windows over each pixel."""
    import tensorflow as tf

    conv = keras.layers.Conv2D(1, kernel, strides=stride, padding="same", use_bias=False, kernel_initializer="ones")
    x = tf.ones((1, size, size, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(conv(x))
    return tape.gradient(total, x).numpy()[0, :, :, 0]


def test_stride_coverage_counts_windows_as_keras_places_them():
    for kernel, stride, size in [(5, 2, 12), (4, 2, 12), (3, 2, 9), (4, 2, 7), (3, 1, 5), (7, 3, 10)]:
        np.testing.assert_array_equal(stride_coverage(kernel, stride, size), _keras_coverage(kernel, stride, size))
    odd, even = stride_coverage(5, 2, 12), stride_coverage(4, 2, 12)
    assert set(np.unique(odd[2:-2, 2:-2])) == {4, 6, 9}  # the grid: 3 x 3, 3 x 2 and 2 x 2 windows
    assert set(np.unique(even[1:-1, 1:-1])) == {4}  # 2 x 2 windows on every inner pixel
