"""pact_train.train / optim: determinism, checkpoint-resume equivalence, a real smoke run."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from accelsim.errors import InputError
from pact_train.data import Dataset
from pact_train.layers import Param
from pact_train.models import QuantConfig
from pact_train.optim import ALPHA_MIN, SGD, Adam, step_lr
from pact_train.train import CHECKPOINT, LOG, TrainConfig, read_log, train


def synthetic(n_train: int = 96, n_test: int = 32, seed: int = 0) -> Dataset:
    """Two-class 8x8 images (a bright left or right half) with noise: learnable in a few steps."""
    rng = np.random.default_rng(seed)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 2, n)
        x = rng.random((n, 8, 8, 1), dtype=np.float32) * 0.3
        x[y == 0, :, :4] += 0.6
        x[y == 1, :, 4:] += 0.6
        return x.clip(0, 1), y

    xtr, ytr = make(n_train)
    xte, yte = make(n_test)
    return Dataset("synthetic", xtr, ytr, xte, yte, 2, "test", "none")


BASE = TrainConfig(model="small", width=4, epochs=2, batch_size=32, lr=0.05, quant=QuantConfig(bits=2, alpha_init=2.0))


def params_of(result) -> dict[str, np.ndarray]:
    return {n: p.data.copy() for n, p in result.model.named_params()}


@pytest.mark.parametrize(
    "quant",
    [
        QuantConfig(bits=2, alpha_init=2.0),
        QuantConfig(act_quant="relu-max", weight_quant="sawb", bits=3),
        QuantConfig(act_quant="dorefa", weight_quant="dorefa", bits=4),
    ],
)
def test_same_seed_gives_bit_identical_weights(quant):
    data = synthetic()
    a = params_of(train(replace(BASE, quant=quant), data=data))
    b = params_of(train(replace(BASE, quant=quant), data=data))
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].dtype == np.float32
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    c = params_of(train(replace(BASE, quant=quant, seed=1), data=data))
    assert any(not np.array_equal(a[n], c[n]) for n in a)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_resume_from_checkpoint_equals_uninterrupted_run(tmp_path, optimizer):
    data = synthetic()
    config = replace(
        BASE,
        epochs=3,
        optimizer=optimizer,
        lr=0.05 if optimizer == "sgd" else 0.01,
        quant=QuantConfig(act_quant="relu-max", bits=2),
    )
    full = train(config, tmp_path / "full", data=data)
    train(replace(config, epochs=1), tmp_path / "split", data=data)
    resumed = train(config, tmp_path / "split", resume=True, data=data)
    for (name, p), (_, q) in zip(full.model.named_params(), resumed.model.named_params(), strict=True):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    for (name, b), (_, c) in zip(full.model.named_buffers(), resumed.model.named_buffers(), strict=True):
        np.testing.assert_array_equal(b, c, err_msg=name)
    rows_full, rows_split = read_log(tmp_path / "full" / LOG), read_log(tmp_path / "split" / LOG)
    assert [r["epoch"] for r in rows_split] == [1, 2, 3]
    for a, b in zip(rows_full, rows_split, strict=True):
        assert {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}


def test_checkpoint_is_plain_npz_without_pickle(tmp_path):
    train(BASE, tmp_path / "run", data=synthetic())
    with np.load(tmp_path / "run" / CHECKPOINT, allow_pickle=False) as z:
        assert int(z["epoch"]) == 2
        assert all(z[k].dtype != object for k in z.files)
        assert "param:conv0.act.alpha" in z.files
        assert json.loads(str(z["config"]))["quant"]["bits"] == 2
    with pytest.raises(InputError, match="already holds a run"):
        train(BASE, tmp_path / "run", data=synthetic())
    with pytest.raises(InputError, match="has no checkpoint.npz"):
        train(BASE, tmp_path / "empty", resume=True, data=synthetic())


def test_log_has_accuracies_and_every_alpha(tmp_path):
    train(BASE, tmp_path / "run", data=synthetic())
    rows = read_log(tmp_path / "run" / LOG)
    assert len(rows) == 2
    header = (tmp_path / "run" / LOG).read_text().splitlines()[0].split(",")
    assert header[:7] == ["epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"]
    assert [h for h in header if h.startswith("alpha:")] == ["alpha:conv0.act", "alpha:conv1.act", "alpha:conv2.act"]
    assert all(0 <= r["test_acc"] <= 1 for r in rows)


def test_smoke_training_on_real_digits_reduces_the_loss():
    """PACT 4-bit small CNN, a few steps on a 256-image slice of the bundled digits."""
    pytest.importorskip("sklearn")
    config = TrainConfig(
        model="small",
        dataset="digits",
        train_limit=256,
        test_limit=128,
        width=8,
        epochs=3,
        batch_size=32,
        lr=0.05,
        quant=QuantConfig(bits=4, alpha_init=3.0),
    )
    result = train(config)
    losses = [r["train_loss"] for r in result.history]
    assert losses[-1] < losses[0] * 0.7
    assert result.test_acc > 0.3  # 10 classes: chance is 0.1


def test_pact_alpha_is_learned_from_clipped_activations_and_decays_by_l2():
    data = synthetic()
    # alpha far below the (BatchNorm-scaled) activations: the clipped elements' gradient moves it
    low = train(replace(BASE, weight_decay=0.0, quant=QuantConfig(bits=2, alpha_init=0.2)), data=data)
    assert all(abs(float(v) - 0.2) > 1e-3 for v in low.model.alphas().values())
    # alpha above any BatchNorm output (|xhat| <= sqrt(m - 1) = 45 for m = 32*8*8 values per
    # channel): nothing is clipped, so only the L2 term acts (PACT section 4), exactly
    # alpha <- alpha - lr * v with v <- momentum * v + lambda * alpha (SGD with momentum, coupled L2)
    config = replace(BASE, weight_decay=0.05, quant=QuantConfig(bits=None, alpha_init=60.0))
    high = train(config, data=data)
    alpha, v = 60.0, 0.0
    for step in range(2 * 3):  # 2 epochs x 3 batches of 32
        g = config.weight_decay * alpha
        v = g if step == 0 else config.momentum * v + g
        alpha -= config.lr * v
    for value in high.model.alphas().values():
        assert float(value) == pytest.approx(alpha, rel=1e-5)


def test_optimizers_and_regularisation():
    w = Param(np.array([1.0, -2.0], np.float32))
    a = Param(np.array(0.01, np.float32), "alpha")
    bn = Param(np.array([1.0], np.float32), "bn")
    for p in (w, a, bn):
        p.grad[...] = 0
    opt = SGD([("w", w), ("a", a), ("bn", bn)], momentum=0.0, weight_decay=0.1, lambda_alpha=10.0)
    opt.step(0.5)
    np.testing.assert_allclose(w.data, [1 - 0.5 * 0.1, -2 + 0.5 * 0.2])  # decay on weights
    assert float(a.data) == pytest.approx(ALPHA_MIN)  # 0.01 - 0.5*10*0.01 < 0 -> clamped
    assert bn.data.tolist() == [1.0]  # BatchNorm parameters are not decayed
    p = Param(np.array([1.0], np.float32))
    p.grad[...] = 2.0
    adam = Adam([("p", p)], eps=1e-8)
    adam.step(0.1)
    np.testing.assert_allclose(p.data, [0.9], rtol=1e-5)  # first Adam step moves by lr
    assert step_lr(0.1, 0, [2, 4], 0.1) == 0.1
    assert step_lr(0.1, 2, [2, 4], 0.1) == pytest.approx(0.01)
    assert step_lr(0.1, 5, [2, 4], 0.1) == pytest.approx(0.001)


@pytest.mark.parametrize(
    "field,value",
    [
        ("epochs", -1),
        ("batch_size", 0),
        ("lr", -0.1),
        ("optimizer", "rmsprop"),
        ("model", "vgg"),
        ("lr_steps", (5, 2)),
        ("weight_decay", float("nan")),
        ("seed", -3),
    ],
)
def test_bad_config_names_field_and_value(field, value):
    with pytest.raises(InputError) as info:
        replace(BASE, **{field: value})
    assert info.value.field == field
    assert f"{field}=" in str(info.value)


def test_quant_config_validation():
    with pytest.raises(InputError, match="act_quant='tanh'"):
        QuantConfig(act_quant="tanh")
    with pytest.raises(InputError, match=r"bits=33: must be an integer in 1\.\.32 or none"):  # the project's one range
        QuantConfig(bits=33)
    with pytest.raises(InputError, match="alpha_init=0"):
        QuantConfig(alpha_init=0)
    fp = QuantConfig(act_quant="none", weight_quant="none")
    assert (fp.bits, fp.first_bits, fp.last_bits) == (None, None, None)


def test_machine_summary_names_cpu_numpy_and_blas():
    from pact_train.perf import machine_summary

    line = machine_summary()
    assert "CPUs" in line and f"NumPy {np.__version__}" in line
