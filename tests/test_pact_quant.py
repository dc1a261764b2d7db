"""pact_train.quant: quantizer grids, straight-through masks, PACT's alpha gradient, SAWB's table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.errors import InputError
from pact_train import quant
from pact_train.gradcheck import numerical_grad, rel_error


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


# --- PACT ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 5, 8])
def test_pact_output_is_on_the_grid_and_in_range(rng, bits):
    x = rng.standard_normal(1000) * 3
    alpha = 1.7
    y, _ = quant.pact_forward(x, alpha, bits)
    n = 2**bits - 1
    steps = y * n / alpha
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)
    assert y.min() >= 0 and y.max() <= alpha + 1e-12
    assert len(np.unique(np.round(steps))) <= n + 1
    # the unquantized clip is eq. 1: 0.5 (|x| - |x - alpha| + alpha)
    yc, _ = quant.pact_forward(x, alpha, None)
    np.testing.assert_allclose(yc, 0.5 * (np.abs(x) - np.abs(x - alpha) + alpha), atol=1e-12)
    assert np.max(np.abs(y - yc)) <= alpha / n / 2 + 1e-12


def test_pact_two_bit_levels():
    x = np.array([-1.0, 0.0, 0.4, 0.6, 1.2, 2.9, 3.0, 7.0])
    y, _ = quant.pact_forward(x, 3.0, 2)
    assert y.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 3.0, 3.0, 3.0]


def test_pact_straight_through_masks():
    """dy_q/dx = 1 on [0, alpha), 0 elsewhere; dy_q/dalpha = 1 where x >= alpha (eq. 3)."""
    x = np.array([-2.0, -1e-9, 0.0, 0.5, 0.999, 1.0, 1.5, 9.0])
    _, ctx = quant.pact_forward(x, 1.0, 2)
    dx, dalpha = quant.pact_backward(ctx, np.ones_like(x))
    assert dx.tolist() == [0, 0, 1, 1, 1, 0, 0, 0]
    assert float(dalpha) == 3.0  # x = 1.0, 1.5, 9.0
    g = np.arange(1.0, 9.0)
    dx, dalpha = quant.pact_backward(ctx, g)
    assert dx.tolist() == [0, 0, 3, 4, 5, 0, 0, 0]
    assert float(dalpha) == 6 + 7 + 8


def test_pact_alpha_gradient_matches_finite_differences(rng):
    """Without rounding PACT is a plain clip, so eq. 3 is its exact gradient (away from the kinks)."""
    x = rng.standard_normal((3, 4, 4, 5)) * 2
    alpha = np.array(1.3)
    r = rng.standard_normal(x.shape)
    _, ctx = quant.pact_forward(x, alpha, None)
    dx, dalpha = quant.pact_backward(ctx, r)

    def f() -> float:
        return float(np.sum(quant.pact_forward(x, alpha, None)[0] * r))

    assert rel_error(dx, numerical_grad(f, x)) < 1e-7
    assert rel_error(dalpha, numerical_grad(f, alpha)) < 1e-7


def test_pact_per_channel_alpha(rng):
    x = rng.standard_normal((2, 3, 3, 4)) * 2
    alpha = np.array([0.5, 1.0, 2.0, 4.0])
    r = rng.standard_normal(x.shape)
    y, ctx = quant.pact_forward(x, alpha, None)
    assert np.all(y <= alpha)
    _, dalpha = quant.pact_backward(ctx, r)
    assert dalpha.shape == (4,)
    assert (
        rel_error(dalpha, numerical_grad(lambda: float(np.sum(quant.pact_forward(x, alpha, None)[0] * r)), alpha))
        < 1e-7
    )
    yq, _ = quant.pact_forward(x, alpha, 3)
    steps = yq * 7 / alpha
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)


def test_pact_float32_in_float32_out(rng):
    x = rng.standard_normal((4, 4)).astype(np.float32)
    y, ctx = quant.pact_forward(x, np.float32(1.0), 4)
    dx, da = quant.pact_backward(ctx, np.ones_like(x))
    assert y.dtype == dx.dtype == da.dtype == np.float32


@settings(max_examples=40, deadline=None)
@given(alpha=st.floats(0.05, 20), bits=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_pact_quantization_error_is_at_most_half_a_step(alpha, bits, seed):
    x = np.random.default_rng(seed).standard_normal(64) * alpha
    y, _ = quant.pact_forward(x, alpha, bits)
    assert np.max(np.abs(y - np.clip(x, 0, alpha))) <= alpha / (2**bits - 1) / 2 * (1 + 1e-9)


# --- activation baselines ------------------------------------------------------------------------


def test_dorefa_activation_clips_at_one_and_has_no_alpha(rng):
    x = rng.standard_normal(500) * 2
    y, ctx = quant.clip_quant_forward(x, 2)
    assert set(np.round(y * 3, 9)) <= {0, 1, 2, 3}
    dx = quant.clip_quant_backward(ctx, np.ones_like(x))
    np.testing.assert_array_equal(dx, ((x >= 0) & (x < 1)).astype(float))


def test_relu_max_quantizes_over_the_observed_range_without_clipping(rng):
    x = rng.standard_normal(1000) * 2
    y, ctx = quant.relu_quant_forward(x, 2)
    top = x.max()
    assert ctx["top"] == pytest.approx(top)
    assert y.max() == pytest.approx(top)  # nothing clipped in training
    np.testing.assert_allclose(np.round(y * 3 / top), y * 3 / top, atol=1e-9)
    dx = quant.relu_quant_backward(ctx, np.ones_like(x))
    np.testing.assert_array_equal(dx, (x > 0).astype(float))
    # inference with a running max below the batch max saturates
    y, _ = quant.relu_quant_forward(x, 2, top=1.0)
    assert y.max() == pytest.approx(1.0)


def test_input_quantization_is_exact_for_8bit_images():
    pixels = np.arange(256, dtype=np.float32) / 255
    np.testing.assert_array_equal(quant.quantize_input(pixels, 8), pixels)
    assert quant.quantize_input(pixels, None) is pixels


# --- DoReFa weights ------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [2, 3, 4, 5, 8])
def test_dorefa_weights_levels(rng, bits):
    w = rng.standard_normal((3, 3, 4, 8)) * 0.1
    wq, _ = quant.dorefa_weight_forward(w, bits)
    n = 2**bits - 1
    u = (wq + 1) / 2 * n  # back on the unit grid
    np.testing.assert_allclose(u, np.round(u), atol=1e-9)
    assert wq.min() >= -1 and wq.max() <= 1
    assert np.abs(wq).max() == 1.0  # the largest |tanh(w)| maps to +-1
    if bits == 2:
        assert set(np.round(np.unique(wq), 9)) <= {-1.0, round(-1 / 3, 9), round(1 / 3, 9), 1.0}
    # formula: 2 * quantize_k(tanh(w) / (2 max|tanh w|) + 1/2) - 1
    t = np.tanh(w)
    np.testing.assert_allclose(wq, 2 * np.round((t / (2 * np.abs(t).max()) + 0.5) * n) / n - 1)


def test_dorefa_weight_gradient_through_tanh_and_max(rng):
    """STE on the rounding only: with bits=None the map is tanh(w)/max|tanh(w)|, differentiable a.e."""
    w = rng.standard_normal((3, 3, 2, 4))
    r = rng.standard_normal(w.shape)
    _, ctx = quant.dorefa_weight_forward(w, None)
    g = quant.dorefa_weight_backward(ctx, r)
    assert rel_error(g, numerical_grad(lambda: float(np.sum(quant.dorefa_weight_forward(w, None)[0] * r)), w)) < 1e-7
    # and the quantized version passes the same gradient (STE through round)
    _, ctxq = quant.dorefa_weight_forward(w, 2)
    np.testing.assert_allclose(quant.dorefa_weight_backward(ctxq, r), g)


def test_dorefa_binary_weights(rng):
    w = rng.standard_normal(100)
    wq, ctx = quant.dorefa_weight_forward(w, 1)
    np.testing.assert_allclose(np.abs(wq), np.abs(w).mean())
    np.testing.assert_array_equal(np.sign(wq), np.where(w >= 0, 1, -1))
    g = rng.standard_normal(100)
    assert quant.dorefa_weight_backward(ctx, g) is g


# --- SAWB weights --------------------------------------------------------------------------------


def test_sawb_coefficients_are_the_published_ones():
    """IBM fms-model-optimizer ``sawb_params`` (the SAWB authors' code), c1*RMS + c2*E|w|."""
    assert quant.SAWB_COEFFS == {
        2: (3.12, -2.064),
        3: (7.509, -6.892),
        4: (12.68, -12.80),
        5: (17.74, -18.64),
        8: (31.76, -35.04),
    }


def test_sawb_scale_formula_and_gaussian_optimum(rng):
    w = rng.standard_normal(200_000)
    rms, mean_abs = np.sqrt(np.mean(w * w)), np.mean(np.abs(w))
    assert quant.sawb_scale(w, 2) == pytest.approx(3.12 * rms - 2.064 * mean_abs)
    # For a Gaussian the 2-bit SAWB scale is ~1.47 sigma (the MSE optimum of a 4-level no-zero grid is ~1.49)
    assert quant.sawb_scale(w, 2) == pytest.approx(1.473, abs=0.02)
    # equal magnitudes give (c1 + c2) * |w| < 0 at 4 and 5 bits: the scale falls back to max|w|
    flat = np.array([0.5, -0.5, 0.5, -0.5])
    assert quant.sawb_scale(flat, 5) == 0.5


def test_sawb_two_bit_levels_and_mask(rng):
    w = rng.standard_normal((3, 3, 8, 8)) * 0.05
    wq, ctx = quant.sawb_weight_forward(w, 2)
    a = quant.sawb_scale(w, 2)
    np.testing.assert_allclose(np.unique(wq), [-a, -a / 3, a / 3, a])
    g = rng.standard_normal(w.shape)
    np.testing.assert_array_equal(quant.sawb_weight_backward(ctx, g), np.where(np.abs(w) <= a, g, 0))


@pytest.mark.parametrize("bits", [3, 4, 5, 8])
def test_sawb_levels_are_uniform_and_symmetric(rng, bits):
    w = rng.standard_normal(5000) * 0.1
    wq, _ = quant.sawb_weight_forward(w, bits)
    a = quant.sawb_scale(w, bits)
    levels = np.unique(wq)
    assert len(levels) <= 2**bits
    grid = (levels / a + 1) / 2 * (2**bits - 1)
    np.testing.assert_allclose(grid, np.round(grid), atol=1e-9)
    np.testing.assert_allclose(quant.sawb_weight_forward(-w, bits)[0], -wq)  # an odd function


def test_weight_quantizer_validation():
    with pytest.raises(InputError, match="w_bits=6"):
        quant.WeightQuantizer("sawb", 6)
    with pytest.raises(InputError, match="weight_quant='ternary'"):
        quant.WeightQuantizer("ternary", 2)
    with pytest.raises(InputError, match="w_bits=0"):
        quant.WeightQuantizer("dorefa", 0)
    q = quant.WeightQuantizer("dorefa", None)
    w = np.ones(3)
    assert not q.active and q.forward(w)[0] is w
