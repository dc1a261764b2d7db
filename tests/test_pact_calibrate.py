"""pact_train.calibrate: fine-tuning from a float checkpoint (--init) and post-training quantization (ptq)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from accelsim.errors import InputError
from pact_train.calibrate import activation_levels
from pact_train.cli import main
from pact_train.models import QuantConfig, build_model
from pact_train.train import CHECKPOINT, TrainConfig, evaluate, load_float_model, post_training_quantize, train
from pact_train.train import init_from_checkpoint as init_from_float
from tests.test_pact_train import synthetic

FLOAT = TrainConfig(
    model="small",
    width=4,
    epochs=3,
    batch_size=32,
    lr=0.05,
    quant=QuantConfig(act_quant="none", weight_quant="none", bits=None),
)


@pytest.fixture(scope="module")
def float_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("float") / "run"
    train(FLOAT, run, data=synthetic())
    return run


def test_init_copies_float_weights_and_sets_alpha_to_the_activation_percentile(float_run):
    data = synthetic()
    q = build_model("small", data.in_shape, 2, QuantConfig(bits=4), seed=7, width=4)
    info = init_from_float(q, float_run, data)
    float_model = load_float_model(float_run, data.in_shape, 2)
    fp = dict(float_model.named_params())
    for name, p in q.named_params():
        if name in fp:
            np.testing.assert_array_equal(p.data, fp[name].data, err_msg=name)
    assert sorted(info["not_in_float_network"]) == ["conv0.act.alpha", "conv1.act.alpha", "conv2.act.alpha"]
    # the level is the 99.99th percentile of what the float ReLU sees there, recomputed independently
    seen = []
    original = float_model.conv1.act.forward
    float_model.conv1.act.forward = lambda x, train=True: (seen.append(np.maximum(x, 0)), original(x, train))[1]
    float_model.forward(data.x_train, train=False)
    expected = np.percentile(np.concatenate([s.ravel() for s in seen]), 99.99)
    assert float(q.conv1.act.alpha.data) == pytest.approx(expected, rel=1e-5)
    assert float(q.conv1.act.alpha.data) != 10.0  # not the default init
    levels = activation_levels(float_model, data.x_train, "max")
    assert levels["conv1.act"] >= float(q.conv1.act.alpha.data)


def test_fine_tuning_starts_where_the_float_network_is(float_run):
    """At 8 bits the calibrated, not yet trained network is about as accurate as the float one."""
    data = synthetic()
    float_model = load_float_model(float_run, data.in_shape, 2)
    float_acc = evaluate(float_model, data.x_test, data.y_test)[1]
    _, acc8 = post_training_quantize(float_run, QuantConfig(weight_quant="sawb", bits=8), data)
    assert float_acc > 0.9 and acc8 >= float_acc - 0.05
    # and --init is recorded in the run's config and applied before the first step only
    cfg = replace(FLOAT, quant=QuantConfig(bits=2), epochs=1, init=str(float_run / CHECKPOINT))
    r = train(cfg, data=data)
    assert r.history[0]["test_acc"] > 0.8


def test_init_refuses_a_quantized_checkpoint_and_a_missing_path(tmp_path):
    data = synthetic()
    run = tmp_path / "q"
    train(replace(FLOAT, quant=QuantConfig(bits=2), epochs=1), run, data=data)
    q = build_model("small", data.in_shape, 2, QuantConfig(bits=2), seed=0, width=4)
    with pytest.raises(InputError, match="quantized network"):
        init_from_float(q, run, data)
    with pytest.raises(InputError, match="init="):
        init_from_float(q, tmp_path / "nothing", data)
    with pytest.raises(InputError, match="calib="):
        TrainConfig(init_calib="mean")


def test_ptq_command_prints_a_row(tmp_path, capsys):
    pytest.importorskip("sklearn")
    run = tmp_path / "fp"
    tiny = ["--train-limit", "256", "--test-limit", "64", "--width", "4", "--batch-size", "32"]
    assert (
        main(
            ["-q", "train", *tiny, "--epochs", "1", "--act-quant", "none", "--weight-quant", "none", "--out", str(run)]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["ptq", str(run), "--bits", "4", "--calib", "max"]) == 0
    row = capsys.readouterr().out.strip()
    assert row.startswith("| PTQ 4b (sawb weights, pact alpha max") and row.endswith("| 64 test images |")
    acc = float(row.split("|")[2])
    assert 0 <= acc <= 1
    assert main(["ptq", str(run), "--bits", "4", "--percentile", "0"]) == 2
    assert "percentile=0" in capsys.readouterr().err
