"""pact_train.data: the IDX reader on files the test writes, and the bundled digits (offline)."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.errors import InputError
from pact_train.data import batches, load_dataset, load_fashion_mnist, read_idx, write_idx


def test_idx_round_trip(tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    for name in ("x.idx", "x.idx.gz"):
        write_idx(tmp_path / name, a)
        np.testing.assert_array_equal(read_idx(tmp_path / name), a)


def test_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(InputError, match="bad magic"):
        read_idx(tmp_path / "bad")
    write_idx(tmp_path / "short", np.zeros((2, 2), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-1])
    with pytest.raises(InputError, match="data bytes"):
        read_idx(tmp_path / "short")
    with pytest.raises(InputError, match="cannot be read"):
        read_idx(tmp_path / "missing.gz")


def test_fashion_mnist_loader_on_a_tiny_copy(tmp_path):
    rng = np.random.default_rng(0)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (20, 28, 28)))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 20))
    write_idx(tmp_path / "t10k-images-idx3-ubyte", rng.integers(0, 256, (5, 28, 28)))  # uncompressed works too
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", rng.integers(0, 10, 5))
    d = load_fashion_mnist(tmp_path)
    assert d.x_train.shape == (20, 28, 28, 1) and d.x_test.shape == (5, 28, 28, 1)
    assert d.x_train.dtype == np.float32 and 0 <= d.x_train.min() and d.x_train.max() <= 1
    assert d.in_shape == (28, 28, 1) and d.classes == 10
    sub = d.subset(8, 2)
    assert len(sub.y_train) == 8 and len(sub.y_test) == 2


def test_missing_fashion_mnist_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("PACT_TRAIN_DATA", raising=False)
    with pytest.raises(InputError) as info:
        load_dataset("fashion-mnist", tmp_path)
    assert info.value.field == "data_dir" and "--dataset digits" in str(info.value)
    with pytest.raises(InputError, match="dataset='cifar10'"):
        load_dataset("cifar10")


def test_digits_are_offline_fixed_and_balanced():
    pytest.importorskip("sklearn")
    d = load_dataset("digits")
    assert d.x_train.shape == (1438, 8, 8, 1) and d.x_test.shape == (359, 8, 8, 1)
    assert d.x_train.dtype == np.float32 and d.x_train.min() == 0 and d.x_train.max() == 1
    assert set(np.unique(d.y_train)) == set(range(10))
    assert np.bincount(d.y_test, minlength=10).min() >= 20  # every class in the test split
    again = load_dataset("digits")
    np.testing.assert_array_equal(d.y_test, again.y_test)
    np.testing.assert_array_equal(d.x_train, again.x_train)


def test_batches_cover_the_epoch_once():
    idx = batches(10, 4, np.random.default_rng(0))
    assert [len(b) for b in idx] == [4, 4, 2]
    assert sorted(np.concatenate(idx).tolist()) == list(range(10))
    assert [b.tolist() for b in batches(5, 2, None)] == [[0, 1], [2, 3], [4]]
