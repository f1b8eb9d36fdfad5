"""gemlib.pair: PAIR's saliency package, through our adapter, gives the lesson's maps."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import saliency.core as saliency

from gemlib import card, explain, pair
from gemlib.sanity import map_similarity

MODEL = Path(__file__).resolve().parent.parent / "models" / "gemstones.keras"
SHAPE = (6, 6, 3)


def linear_model(weights: np.ndarray) -> keras.Model:
    """Two logits: class 1's is ``sum(weights * x)``, class 0's is ``-sum(x)``."""
    inp = keras.Input(SHAPE)
    dense = keras.layers.Dense(2, use_bias=False)
    out = dense(keras.layers.Flatten()(inp))
    kernel = np.stack([-np.ones(weights.size), weights.ravel()], axis=1).astype(np.float32)
    dense.set_weights([kernel])
    return keras.Model(inp, out)


def square_model() -> keras.Model:
    """One logit, ``sum(x ** 2) / 2``: its input gradient is the input itself."""
    inp = keras.Input(SHAPE)
    out = keras.layers.Lambda(lambda t: 0.5 * keras.ops.sum(t**2, axis=(1, 2, 3))[:, None])(inp)
    return keras.Model(inp, out)


WEIGHTS = np.random.default_rng(0).integers(-3, 4, SHAPE).astype(np.float32)
IMAGE = np.random.default_rng(1).integers(0, 101, SHAPE).astype(np.float32)
IMAGE[0, 0, :2] = 0, 100  # value range exactly 100


def test_gradient_of_a_linear_logit_is_its_weights():
    model = linear_model(WEIGHTS)
    np.testing.assert_array_equal(pair.pair_gradient(model, IMAGE, 1), WEIGHTS)
    np.testing.assert_array_equal(pair.pair_gradient(model, IMAGE, 0), -np.ones(SHAPE))


def test_without_noise_smoothgrad_is_the_gradient_and_magnitude_its_square():
    model = linear_model(WEIGHTS)
    np.testing.assert_array_equal(pair.pair_smoothgrad(model, IMAGE, 1, n_samples=4, noise=0.0), WEIGHTS)
    np.testing.assert_array_equal(
        pair.pair_smoothgrad(model, IMAGE, 1, n_samples=4, noise=0.0, magnitude=True), WEIGHTS**2)


def test_pair_and_gemlib_draw_noise_of_the_same_sigma():
    """sigma = 0.15 x (max - min) = 15 here, in PAIR's GetSmoothedMask and in explain.noisy_gradients."""
    model, seen = square_model(), []
    fn = pair.call_model_function(model, 0)

    def recording(batch, call_model_args=None, expected_keys=None):
        seen.append(np.asarray(batch, np.float64))
        return fn(batch, call_model_args, expected_keys)

    np.random.seed(0)
    saliency.GradientSaliency().GetSmoothedMask(IMAGE, recording, stdev_spread=0.15, nsamples=100)
    pair_sigma = (np.concatenate(seen) - IMAGE).std()
    # the square model's gradient is its input, so our noisy gradients are our noisy copies
    copies = explain.noisy_gradients(model, IMAGE, 0, n_samples=100, noise=0.15,
                                     rng=np.random.default_rng(0))
    ours_sigma = (copies - IMAGE).std()
    assert len(seen) == 100  # one model call per noisy copy
    assert pair_sigma == pytest.approx(15.0, abs=0.5)
    assert ours_sigma == pytest.approx(15.0, abs=0.5)


def test_seed_repeats_and_leaves_numpy_global_generator_alone():
    model = square_model()
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    a = pair.pair_smoothgrad(model, IMAGE, 0, n_samples=3, seed=7)
    assert np.random.random() == expected
    np.testing.assert_array_equal(a, pair.pair_smoothgrad(model, IMAGE, 0, n_samples=3, seed=7))
    assert not np.array_equal(a, pair.pair_smoothgrad(model, IMAGE, 0, n_samples=3, seed=8))


def test_call_model_function_gives_logits_and_refuses_what_it_cannot_give():
    model = linear_model(WEIGHTS)
    out = pair.call_model_function(model, 1)(IMAGE[None], expected_keys=[saliency.OUTPUT_LAYER_VALUES])
    np.testing.assert_array_equal(out[saliency.OUTPUT_LAYER_VALUES], [np.sum(WEIGHTS * IMAGE)])
    with pytest.raises(ValueError, match="CONVOLUTION_LAYER_VALUES"):
        pair.call_model_function(model, 1)(IMAGE[None], expected_keys=[saliency.CONVOLUTION_LAYER_VALUES])
    with pytest.raises(ValueError, match="one"):
        pair.pair_gradient(model, IMAGE[None], 1)


@pytest.fixture(scope="module")
def shipped(data_dir):
    gems = card.load_data(card.load_card(MODEL))
    model, _ = card.load_model(MODEL, gems.classes)
    image = gems.test.images[0].astype(np.float32)
    return model, image, int(explain.predicted_classes(model, image[None])[0])


@pytest.mark.slow
def test_pair_gradient_equals_ours_on_the_shipped_model(shipped):
    model, image, target = shipped
    ours = explain.gradient(model, image[None], [target])[0]
    theirs = pair.pair_gradient(model, image, target)
    # eager (PAIR's adapter) and traced (ours) TensorFlow round differently in the last bit:
    # measured max |difference| 2.9e-11 against max |gradient| 6.5e-4
    assert np.abs(theirs - ours).max() <= 1e-6 * np.abs(ours).max()
    assert map_similarity(theirs, ours)["spearman_abs"] > 0.9999


@pytest.mark.slow
def test_pair_smoothgrad_agrees_with_ours_as_two_of_our_draws_agree(shipped):
    model, image, target = shipped
    ours0, ours1 = (explain.smoothgrad(model, image[None], [target], 50, 0.15, seed=s)[0] for s in (0, 1))
    theirs = pair.pair_smoothgrad(model, image, target, n_samples=50, noise=0.15, seed=0)
    ceiling = map_similarity(ours0, ours1)["spearman_abs"]
    assert map_similarity(theirs, ours0)["spearman_abs"] >= ceiling - 0.02
