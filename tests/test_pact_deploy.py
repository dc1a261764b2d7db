"""Deployable export (.npz of integers) and integer-only inference (verify-int)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import pact_train.intinfer as ii
from pact_train.cli import main
from pact_train.deploy import deploy_arrays, export_deployable
from pact_train.intinfer import integer_logits, load_export, verify_int
from pact_train.models import QuantConfig
from pact_train.train import TrainConfig, train
from tests.test_pact_train import synthetic

CFG = TrainConfig(model="small", width=4, epochs=2, batch_size=32, lr=0.05, quant=QuantConfig(bits=4, alpha_init=3.0))


@pytest.mark.parametrize(
    "model,quant",
    [
        ("small", QuantConfig(bits=4, alpha_init=3.0)),
        ("small", QuantConfig(act_quant="relu-max", bits=2)),
        ("small", QuantConfig(act_quant="dorefa", weight_quant="sawb", bits=3)),
        ("resnet20", QuantConfig(bits=2, alpha_init=3.0)),  # residual adds: projection and identity shortcuts
    ],
)
def test_integer_inference_matches_the_fake_quantized_network(tmp_path, model, quant):
    data = synthetic(n_train=96, n_test=64)
    run = tmp_path / "run"
    r = train(replace(CFG, model=model, quant=quant), run, data=data)
    program, arrays = deploy_arrays(r.model)
    # every activation the integer network computes is the fake-quantized one divided by its step
    first = program["units"][0]
    x = data.x_test
    logits = integer_logits(program, arrays, x)
    fq = r.model.forward(x, train=False)
    assert (logits.argmax(1) == fq.argmax(1)).mean() >= 0.98
    # and the logits themselves agree up to the fixed positive scale of the head
    scale = np.median(logits / np.where(fq == 0, np.nan, fq))
    assert np.all(np.isfinite(scale)) and scale > 0
    assert first["act"]["bits"] == quant.bits


def test_integer_activations_equal_fake_quantized_levels():
    data = synthetic()
    r = train(CFG, data=data)
    program, arrays = deploy_arrays(r.model)
    conv0 = r.model.conv0
    fq = conv0.forward(r.model.input.forward(data.x_test), train=False)  # conv -> BN -> pool -> PACT
    alpha, n = float(conv0.act.alpha.data), 15
    levels = np.rint(fq * n / alpha).astype(np.int64)
    a = ii._requant(
        ii._conv_t(np.rint(data.x_test * 255).astype(np.int64), arrays, program["units"][0]),
        program["units"][0]["shift"],
        4,
    )
    assert a.shape == levels.shape and a.dtype == np.int64 and a.max() <= n
    assert np.mean(a == levels) >= 0.999


def test_export_file_has_integers_scales_alphas_and_no_pickle(tmp_path):
    run = tmp_path / "run"
    train(CFG, run, data=synthetic())
    export_deployable(run, tmp_path / "m.npz", data=synthetic())
    program, arrays = load_export(tmp_path / "m.npz")
    with open(tmp_path / "m.npz", "rb") as f:
        assert f.read(2) == b"PK"  # a plain zip of .npy arrays; load_export reads it with allow_pickle=False
    assert arrays["conv1.w"].dtype == np.int8 and arrays["conv0.w"].dtype == np.int16  # 4-bit body, 8-bit first
    assert set(np.unique(np.abs(arrays["conv1.w"])) % 2) == {1}  # DoReFa levels (2q - n) are odd
    for key in ("conv1.w_scale", "conv1.bn_scale", "conv1.bn_shift", "conv1.act.alpha", "conv1.m0", "head.fc.w"):
        assert key in arrays, key
    assert program["input_bits"] == 8 and [u["unit"] for u in program["units"]] == ["conv", "conv", "conv", "head"]


def test_verify_int_command_and_a_corrupted_export_fails(tmp_path, capsys):
    pytest.importorskip("sklearn")
    run = tmp_path / "run"
    tiny = ["--train-limit", "256", "--test-limit", "128", "--width", "4", "--batch-size", "32"]
    assert main(["-q", "train", *tiny, "--epochs", "2", "--bits", "2", "--alpha-init", "3", "--out", str(run)]) == 0
    assert main(["-q", "export", str(run), "-o", str(tmp_path / "m.json"), "--deploy", str(tmp_path / "m.npz")]) == 0
    capsys.readouterr()
    assert main(["verify-int", str(tmp_path / "m.npz")]) == 0
    out = capsys.readouterr().out
    assert "integer inference:" in out and out.strip().endswith("OK")
    check = verify_int(tmp_path / "m.npz")
    assert check.ok and check.agreement >= 0.98
    with np.load(tmp_path / "m.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["conv1.m0"] = -arrays["conv1.m0"]  # a wrong requantization must show
    np.savez(tmp_path / "bad.npz", **arrays)
    assert main(["verify-int", str(tmp_path / "bad.npz"), "--tolerance", "0"]) == 1
    assert capsys.readouterr().out.strip().endswith("FAIL")
    assert main(["verify-int", str(tmp_path / "m.json")]) == 2


@pytest.mark.parametrize(
    "quant,needle",
    [
        (QuantConfig(bits=4, last_bits=None), "float"),
        (QuantConfig(bits=4, first_bits=None), "not quantized"),
        (QuantConfig(bits=4, alpha_per_channel=True), "per-channel"),
    ],
)
def test_what_has_no_integer_form_is_refused(quant, needle):
    from accelsim.errors import InputError

    r = train(replace(CFG, quant=quant, epochs=1), data=synthetic())
    with pytest.raises(InputError, match=needle):
        deploy_arrays(r.model)
