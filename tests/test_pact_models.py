"""pact_train.models: whole-network gradients, and the accelsim LayerGraph each model emits."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.errors import InputError
from accelsim.ir import LayerGraph, Precision
from pact_train import layers as L
from pact_train import ops
from pact_train.gradcheck import numerical_grad, rel_error
from pact_train.models import QuantConfig, build_model, resnet20, small_cnn

# PACT without rounding (bits=None): a clip with a learned alpha, differentiable almost everywhere
PACT_FP = QuantConfig(act_quant="pact", weight_quant="none", bits=None, first_bits=None, last_bits=None, alpha_init=1.0)


def to_float64(model: L.Module) -> None:
    for _, p in model.named_params():
        p.data = p.data.astype(np.float64)
        p.grad = np.zeros_like(p.data)


@pytest.mark.parametrize("arch", ["small", "resnet8"])
def test_whole_network_gradients_including_alpha(arch):
    """Backprop through conv/BN/pool/PACT/residual/GAP/dense/loss agrees with finite differences."""
    rng = np.random.default_rng(3)
    if arch == "small":
        model = small_cnn((8, 8, 2), 3, PACT_FP, rng, width=4)
    else:
        model = resnet20((8, 8, 2), 3, PACT_FP, rng, width=4, blocks=1)  # conv + 3 blocks (2 projections) + FC
    to_float64(model)
    x = rng.random((4, 8, 8, 2))
    y = np.array([0, 1, 2, 1])

    def loss() -> float:
        return ops.softmax_cross_entropy_forward(model.forward(x, train=True), y)[0]

    _, ctx = ops.softmax_cross_entropy_forward(model.forward(x, train=True), y)
    model.zero_grad()
    model.backward(ops.softmax_cross_entropy_backward(ctx))
    params = dict(model.named_params())
    alphas = [n for n in params if n.endswith(".alpha")]
    assert alphas, "PACT alphas must be parameters"
    checked = 0
    for name, p in params.items():
        idx = [tuple(int(i) for i in np.unravel_index(j, p.data.shape)) for j in range(min(p.data.size, 3))]
        # eps 1e-8: a network has thousands of clip/ReLU kinks; a wider step can straddle one
        num = numerical_grad(loss, p.data, eps=1e-8, index=idx)
        got = np.zeros_like(num)
        for i in idx:
            got[i] = p.grad[i]
        assert rel_error(got, num) < 1e-5, name
        checked += 1
    assert checked == len(params)
    assert any(abs(float(params[a].grad)) > 0 for a in alphas)  # alpha=1 clips BatchNorm outputs


def test_quantized_step_is_float32_and_finite():
    model = build_model("resnet20", (16, 16, 3), 10, QuantConfig(bits=2, alpha_init=3.0), seed=0, width=4)
    x = np.random.default_rng(0).random((4, 16, 16, 3), dtype=np.float32)
    logits = model.forward(x)
    assert logits.dtype == np.float32 and logits.shape == (4, 10)
    _, ctx = ops.softmax_cross_entropy_forward(logits, np.arange(4))
    model.backward(ops.softmax_cross_entropy_backward(ctx))
    for name, p in model.named_params():
        assert p.grad.dtype == np.float32 and np.all(np.isfinite(p.grad)), name


def record_conv_shapes(model: L.Module) -> dict[str, tuple[int, ...]]:
    """Wrap every Conv2d so a forward pass records its NHWC output shape under its IR name."""
    shapes: dict[str, tuple[int, ...]] = {}
    for path, mod in model.modules():
        if isinstance(mod, L.Conv2d):
            ir_name = path.removesuffix(".conv")
            fwd = mod.forward

            def forward(x, train=True, _f=fwd, _n=ir_name):  # type: ignore[no-untyped-def]
                y = _f(x, train)
                shapes[_n] = y.shape
                return y

            mod.forward = forward  # type: ignore[method-assign]
    return shapes


@pytest.mark.parametrize(
    "arch,in_shape,n_conv",
    [
        ("small", (8, 8, 1), 3),
        ("resnet20", (32, 32, 3), 21),  # 19 convs + 2 projection shortcuts
        ("svhn", (40, 40, 3), 7),
        ("svhn", (28, 28, 1), 7),
    ],
)
def test_graph_has_the_shapes_the_model_trains_on(arch, in_shape, n_conv):
    model = build_model(arch, in_shape, 10, QuantConfig(), seed=0)
    shapes = record_conv_shapes(model)
    batch = 3
    logits = model.forward(np.zeros((batch, *in_shape), np.float32))
    g = model.to_graph(batch)
    assert isinstance(g, LayerGraph)
    convs = [layer for layer in g.layers() if layer.kind == "Conv2d"]
    assert len(convs) == n_conv == len(shapes)
    for layer in convs:
        n, h, w, c = shapes[layer.name]
        assert layer.out_shape == (n, c, h, w), layer.name
    fc = g.layer("head.fc")
    assert fc.out_shape == logits.shape
    assert g.output_layers() == ["head.fc"]
    assert g.input_layers() == ["conv0"]
    # weights counted by the IR = the trainer's conv/dense weights
    n_weights = sum(p.data.size for n, p in model.named_params() if n.endswith("weight"))
    assert g.total_weights() == n_weights


def test_graph_precision_first_last_body_and_fp():
    model = build_model("resnet20", (32, 32, 3), 10, QuantConfig(bits=4), seed=0)
    g = model.to_graph()
    assert g.precision("conv0") == Precision(w_bits=8, a_bits=8)  # reads the 8-bit image
    assert g.precision("s1b0.conv1") == Precision(w_bits=4, a_bits=4)
    assert g.precision("s2b0.shortcut") == Precision(w_bits=4, a_bits=4)
    assert g.precision("head.fc") == Precision(w_bits=8, a_bits=8)  # last layer and its input at 8 bits
    assert g.layer("s1b0.add").act == "pact" and g.layer("s1b0.conv1").act == "pact"
    assert g.layer("s1b0.conv2").act == "none"
    assert set(g.metadata["alphas"]) == {
        "conv0",
        *(f"s{s}b{b}.{k}" for s in (1, 2, 3) for b in range(3) for k in ("conv1", "add")),
    }
    fp = build_model("resnet20", (32, 32, 3), 10, QuantConfig(act_quant="none", weight_quant="none"), seed=0).to_graph()
    assert {fp.precision(n) for n in fp.names()} == {Precision(32, 32)}
    assert fp.layer("conv0").act == "relu"
    first_last_fp = build_model(
        "small", (8, 8, 1), 10, QuantConfig(bits=2, first_bits=None, last_bits=None), 0
    ).to_graph()
    assert first_last_fp.precision("conv0") == Precision(32, 32)
    assert first_last_fp.precision("conv1") == Precision(2, 2)
    assert first_last_fp.precision("head.fc") == Precision(32, 32)


def test_graph_round_trips_through_json(tmp_path):
    g = build_model("svhn", (40, 40, 3), 10, QuantConfig(bits=3), seed=0).to_graph()
    g.save(tmp_path / "g.json")
    back = LayerGraph.load(tmp_path / "g.json")
    assert back == g
    assert back.layer("conv0").bias and not back.layer("conv0").batchnorm  # tensorpack's conv0
    assert back.layer("conv0.pool").mode == "max"


def test_svhn_needs_a_large_enough_input():
    with pytest.raises(InputError, match="model='svhn'"):
        build_model("svhn", (16, 16, 1), 10, QuantConfig(), seed=0)
    with pytest.raises(InputError, match="model='vgg'"):
        build_model("vgg", (16, 16, 1), 10, QuantConfig(), seed=0)
