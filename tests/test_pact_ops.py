"""pact_train.ops: every backward against float64 finite differences, conv against a naive oracle.

Each check contracts the op's output with a fixed random tensor R, so ``f = sum(op(x) * R)`` and
``df/dx`` is exactly what the backward computes for ``dy = R``.
"""

from __future__ import annotations

import numpy as np
import pytest

from pact_train import conv, conv_flat, ops
from pact_train.gradcheck import numerical_grad, rel_error

TOL = 1e-7


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def conv_naive(x: np.ndarray, w: np.ndarray, stride: int, pad: int, groups: int) -> np.ndarray:
    """Direct definition of grouped cross-correlation, NHWC / (kh, kw, C/g, K): the oracle."""
    n, h, wd, c = x.shape
    kh, kw, cg, k = w.shape
    kg = k // groups
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    ho, wo = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, ho, wo, k))
    for o in range(ho):
        for q in range(wo):
            patch = xp[:, o * stride : o * stride + kh, q * stride : q * stride + kw, :]
            for g in range(groups):
                y[:, o, q, g * kg : (g + 1) * kg] = np.einsum(
                    "nijc,ijck->nk", patch[..., g * cg : (g + 1) * cg], w[..., g * kg : (g + 1) * kg]
                )
    return y


CONV_CASES = [
    # kernel, stride, padding, groups, H, W
    (3, 1, 1, 1, 5, 6),
    (3, 2, 1, 1, 6, 7),
    (3, 2, 0, 2, 7, 7),
    (1, 1, 0, 1, 4, 5),
    (1, 2, 0, 1, 6, 6),  # ResNet's projection shortcut
    (5, 1, 0, 1, 7, 8),
    (3, 1, 1, 4, 5, 5),  # depthwise (C = K = groups)
    (3, 3, 2, 2, 8, 8),
    (3, 1, 3, 1, 4, 4),  # padding > kernel - 1: dX by the polyphase path (one phase)
    (3, 2, 0, 1, 7, 6),  # polyphase dX, no padding, odd size
    (5, 2, 2, 1, 9, 8),  # polyphase dX, two taps per phase, even size
    (2, 2, 0, 1, 6, 5),  # even kernel = stride: one tap per phase
    (3, 3, 1, 1, 8, 7),  # stride 3: nine phases
    (1, 3, 0, 1, 7, 8),  # strided 1x1 with rows/columns the kernel never reads
]


@pytest.fixture(params=["flat", "im2col"])
def conv_path(request, monkeypatch) -> str:
    """Run a test on both conv implementations: flat-shift (<= 16 channels) and im2col + GEMM."""
    if request.param == "im2col":
        monkeypatch.setattr(conv_flat, "FLAT_MAX_CHANNELS", 0)
    return request.param


@pytest.mark.parametrize("k,s,p,g,h,w", CONV_CASES)
def test_conv_forward_matches_naive_and_backward_matches_finite_differences(rng, conv_path, k, s, p, g, h, w):
    c, kout = 4, (4 if g == 4 else 8)
    x = rng.standard_normal((2, h, w, c))
    wt = rng.standard_normal((k, k, c // g, kout))
    y, ctx = ops.conv2d_forward(x, wt, s, p, g)
    np.testing.assert_allclose(y, conv_naive(x, wt, s, p, g), rtol=1e-12, atol=1e-12)
    r = rng.standard_normal(y.shape)
    dx, dw = ops.conv2d_backward(ctx, r)

    def f() -> float:
        return float(np.sum(ops.conv2d_forward(x, wt, s, p, g)[0] * r))

    assert rel_error(dx, numerical_grad(f, x)) < TOL
    assert rel_error(dw, numerical_grad(f, wt)) < TOL


@pytest.mark.parametrize("stride", [1, 2])
def test_conv_blocks_give_the_same_result_as_one_block(rng, monkeypatch, conv_path, stride):
    """The batch is processed in cache-sized blocks; block size must not change the numbers."""
    x = rng.standard_normal((5, 6, 6, 3))
    wt = rng.standard_normal((3, 3, 3, 4))
    y1, ctx = ops.conv2d_forward(x, wt, stride, 1)
    r = rng.standard_normal(y1.shape)
    dx1, dw1 = ops.conv2d_backward(ctx, r)
    monkeypatch.setattr(conv, "BLOCK_BYTES", 1)  # one image per block
    monkeypatch.setattr(conv_flat, "FLAT_BLOCK_BYTES", 1)
    y2, ctx = ops.conv2d_forward(x, wt, stride, 1)
    dx2, dw2 = ops.conv2d_backward(ctx, r)
    np.testing.assert_allclose(y1, y2, rtol=1e-12)
    np.testing.assert_allclose(dx1, dx2, rtol=1e-12)
    np.testing.assert_allclose(dw1, dw2, rtol=1e-12)


def test_conv_first_layer_skips_input_gradient(rng):
    x = rng.standard_normal((2, 5, 5, 3))
    _, ctx = ops.conv2d_forward(x, rng.standard_normal((3, 3, 3, 4)), 1, 1, need_dx=False)
    dx, dw = ops.conv2d_backward(ctx, rng.standard_normal((2, 5, 5, 4)))
    assert dx is None and dw.shape == (3, 3, 3, 4)


@pytest.mark.parametrize("k,s,p", [(1, 2, 0), (1, 1, 0), (3, 1, 1), (3, 2, 1)])
def test_conv_weight_gradient_without_input_gradient_is_the_same(rng, conv_path, k, s, p):
    """need_dx=False takes other code paths for dW; they must agree with the full backward."""
    x = rng.standard_normal((3, 6, 6, 4))
    wt = rng.standard_normal((k, k, 4, 5))
    y, ctx = ops.conv2d_forward(x, wt, s, p)
    r = rng.standard_normal(y.shape)
    _, dw_full = ops.conv2d_backward(ctx, r)
    _, ctx = ops.conv2d_forward(x, wt, s, p, need_dx=False)
    dx, dw = ops.conv2d_backward(ctx, r)
    assert dx is None
    np.testing.assert_allclose(dw, dw_full, rtol=1e-12, atol=1e-12)


def test_conv_keeps_float32(rng):
    x = rng.standard_normal((2, 6, 6, 4)).astype(np.float32)
    w = rng.standard_normal((3, 3, 4, 8)).astype(np.float32)
    y, ctx = ops.conv2d_forward(x, w, 2, 1)
    dx, dw = ops.conv2d_backward(ctx, np.ones_like(y))
    assert y.dtype == dx.dtype == dw.dtype == np.float32


def test_batchnorm_train_gradients(rng):
    x = rng.standard_normal((3, 4, 5, 6)) * 2 + 1
    gamma, beta = rng.standard_normal(6), rng.standard_normal(6)
    y, ctx, mean, var = ops.batchnorm_forward(x, gamma, beta)
    xhat = (y - beta) / gamma
    np.testing.assert_allclose(xhat.mean(axis=(0, 1, 2)), 0, atol=1e-10)
    np.testing.assert_allclose(var, x.var(axis=(0, 1, 2)), rtol=1e-10)
    r = rng.standard_normal(y.shape)
    dx, dgamma, dbeta = ops.batchnorm_backward(ctx, r)

    def f() -> float:
        return float(np.sum(ops.batchnorm_forward(x, gamma, beta)[0] * r))

    assert rel_error(dx, numerical_grad(f, x)) < TOL
    assert rel_error(dgamma, numerical_grad(f, gamma)) < TOL
    assert rel_error(dbeta, numerical_grad(f, beta)) < TOL


def test_batchnorm_eval_gradients(rng):
    x = rng.standard_normal((2, 3, 3, 4))
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    mean, var = rng.standard_normal(4), rng.random(4) + 0.5
    y, ctx = ops.batchnorm_eval_forward(x, gamma, beta, mean, var)
    np.testing.assert_allclose(y, gamma * (x - mean) / np.sqrt(var + 1e-5) + beta)
    r = rng.standard_normal(y.shape)
    dx, dgamma, dbeta = ops.batchnorm_eval_backward(ctx, r)

    def f() -> float:
        return float(np.sum(ops.batchnorm_eval_forward(x, gamma, beta, mean, var)[0] * r))

    assert rel_error(dx, numerical_grad(f, x)) < TOL
    assert rel_error(dgamma, numerical_grad(f, gamma)) < TOL
    assert rel_error(dbeta, numerical_grad(f, beta)) < TOL


def test_dense_gradients(rng):
    x, w, b = rng.standard_normal((3, 5)), rng.standard_normal((5, 4)), rng.standard_normal(4)
    y, ctx = ops.dense_forward(x, w, b)
    r = rng.standard_normal(y.shape)
    dx, dw, db = ops.dense_backward(ctx, r)

    def f() -> float:
        return float(np.sum(ops.dense_forward(x, w, b)[0] * r))

    assert rel_error(dx, numerical_grad(f, x)) < TOL
    assert rel_error(dw, numerical_grad(f, w)) < TOL
    assert rel_error(db, numerical_grad(f, b)) < TOL


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0)])
def test_pooling_gradients(rng, kind, k, s, p):
    fwd, bwd = (
        (ops.maxpool_forward, ops.maxpool_backward) if kind == "max" else (ops.avgpool_forward, ops.avgpool_backward)
    )
    x = rng.standard_normal((2, 6, 7, 3))
    y, ctx = fwd(x, k, s, p)
    r = rng.standard_normal(y.shape)

    def f() -> float:
        return float(np.sum(fwd(x, k, s, p)[0] * r))

    assert rel_error(bwd(ctx, r), numerical_grad(f, x)) < TOL


def test_maxpool_values():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    y, _ = ops.maxpool_forward(x, 2)
    assert y[0, :, :, 0].tolist() == [[5, 7], [13, 15]]
    y, _ = ops.avgpool_forward(x, 2)
    assert y[0, :, :, 0].tolist() == [[2.5, 4.5], [10.5, 12.5]]


def test_global_avgpool_add_relu_gradients(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    y, ctx = ops.global_avgpool_forward(x)
    np.testing.assert_allclose(y, x.mean(axis=(1, 2)))
    r = rng.standard_normal(y.shape)
    assert (
        rel_error(
            ops.global_avgpool_backward(ctx, r),
            numerical_grad(lambda: float(np.sum(ops.global_avgpool_forward(x)[0] * r)), x),
        )
        < TOL
    )

    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    y, ctx = ops.add_forward(a, b)
    r = rng.standard_normal(y.shape)
    da, db = ops.add_backward(ctx, r)
    assert rel_error(da, numerical_grad(lambda: float(np.sum(ops.add_forward(a, b)[0] * r)), a)) < TOL
    assert rel_error(db, numerical_grad(lambda: float(np.sum(ops.add_forward(a, b)[0] * r)), b)) < TOL

    x = rng.standard_normal((3, 4))
    y, ctx = ops.relu_forward(x)
    r = rng.standard_normal(y.shape)
    assert (
        rel_error(ops.relu_backward(ctx, r), numerical_grad(lambda: float(np.sum(ops.relu_forward(x)[0] * r)), x)) < TOL
    )


def test_softmax_cross_entropy(rng):
    logits = rng.standard_normal((5, 4)) * 3
    labels = np.array([0, 3, 1, 1, 2])
    loss, ctx = ops.softmax_cross_entropy_forward(logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(5), labels])), rel=1e-12)
    grad = ops.softmax_cross_entropy_backward(ctx)
    assert rel_error(grad, numerical_grad(lambda: ops.softmax_cross_entropy_forward(logits, labels)[0], logits)) < TOL
    # stable for huge logits
    loss, _ = ops.softmax_cross_entropy_forward(np.array([[1000.0, 0.0]]), np.array([0]))
    assert loss == pytest.approx(0.0, abs=1e-12)
