"""--bits-per-layer: a network trained with the per-layer bits of an accelsim layer graph."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.errors import InputError
from accelsim.ir import LayerGraph, Precision
from pact_train.cli import main
from pact_train.models import QuantConfig, build_model
from pact_train.policy import apply_layer_bits, layer_bits_of, read_layer_bits


def small(q: QuantConfig | None = None):
    return build_model("small", (8, 8, 1), 10, q or QuantConfig(bits=4), seed=0, width=4)


def test_policy_graph_round_trips_through_the_trainer(tmp_path):
    g = small().to_graph()
    g.set_precision("conv0", Precision(6, 5))  # first layer: weights 6, image 5
    g.set_precision("conv1", Precision(3, 2))  # reads conv0's activation at 2 bits
    g.set_precision("conv2", Precision(5, 3))
    g.set_precision("head.fc", Precision(32, 7))  # float weights, 7-bit activations in
    g.save(tmp_path / "policy.json")
    policy = read_layer_bits(tmp_path / "policy.json")
    assert policy == {"conv0": [6, 5], "conv1": [3, 2], "conv2": [5, 3], "head.fc": [32, 7]}
    net = small()
    apply_layer_bits(net, policy)
    assert layer_bits_of(net) == policy
    assert net.conv0.act.bits == 2 and net.conv1.act.bits == 3 and net.conv2.act.bits == 7
    assert net.input.bits == 5 and not net.head.fc.wq.active and net.conv1.conv.wq.bits == 3
    # the quantizers really run at those bits: conv1 reads at most 2^2 levels, the image 2^5
    x = np.random.default_rng(0).random((4, 8, 8, 1), dtype=np.float32)
    seen = {}
    fwd = net.conv1.conv.forward
    net.conv1.conv.forward = lambda a, train=True: (seen.setdefault("conv1", a), fwd(a, train))[1]
    net.forward(x, train=False)
    assert len(np.unique(seen["conv1"])) <= 4
    assert len(np.unique(net.input.forward(x))) <= 32


def test_readers_of_one_activation_must_agree():
    q = QuantConfig(bits=4)
    net = build_model("resnet20", (8, 8, 3), 10, q, seed=0, width=4, blocks=1)
    policy = layer_bits_of(net)
    assert policy["s2b0.conv1"] == policy["s2b0.shortcut"] == [4, 4]
    policy["s2b0.conv1"] = [4, 2]  # conv1 and the projection shortcut read the same tensor
    with pytest.raises(InputError, match="s2b0.conv1, s2b0.shortcut"):
        apply_layer_bits(build_model("resnet20", (8, 8, 3), 10, q, seed=0, width=4, blocks=1), policy)


@pytest.mark.parametrize(
    "change,needle",
    [
        (lambda p: p.update({"conv9": [4, 4]}), "conv9"),
        (lambda p: p.pop("conv2"), "conv2"),
        (lambda p: p.update({"conv1": [4, 0]}), "a_bits=0"),
    ],
)
def test_bad_policy_names_the_layer(change, needle):
    policy = layer_bits_of(small())
    change(policy)
    with pytest.raises(InputError, match=needle):
        apply_layer_bits(small(), policy)


def test_float_relu_cannot_take_bits():
    policy = layer_bits_of(small())
    net = small(QuantConfig(act_quant="none", weight_quant="dorefa", bits=4))
    with pytest.raises(InputError, match="float ReLU"):
        apply_layer_bits(net, policy)


def test_train_and_export_with_bits_per_layer(tmp_path, capsys):
    pytest.importorskip("sklearn")
    g = small().to_graph()
    g.set_precision("conv1", Precision(2, 3))
    g.save(tmp_path / "policy.json")
    run = tmp_path / "run"
    tiny = ["--train-limit", "128", "--test-limit", "64", "--width", "4", "--batch-size", "32"]
    assert (
        main(
            [
                "-q",
                "train",
                *tiny,
                "--epochs",
                "1",
                "--bits-per-layer",
                str(tmp_path / "policy.json"),
                "--out",
                str(run),
            ]
        )
        == 0
    )
    assert main(["-q", "export", str(run), "-o", str(tmp_path / "model.json")]) == 0
    out = LayerGraph.load(tmp_path / "model.json")
    for name in ("conv0", "conv1", "conv2", "head.fc"):
        assert out.precision(name) == g.precision(name), name
    capsys.readouterr()
    assert (
        main(["-q", "train", *tiny, "--bits-per-layer", str(tmp_path / "nope.json"), "--out", str(tmp_path / "r2")])
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("pact-train: error: bits_per_layer=") and not (tmp_path / "r2").exists()
