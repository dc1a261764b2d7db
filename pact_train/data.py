"""Real image data that is on the machine already: nothing is downloaded at run time.

``digits``
    scikit-learn's bundled copy of the UCI optical-recognition digits (test part): 1,797 8x8
    grey images, 10 classes, values 0..16. Ships inside the scikit-learn wheel, so a plain
    ``pip install`` provides it. Fixed split: 1,438 train / 359 test (a seed-0 shuffle, the same
    on every machine). License: scikit-learn BSD-3-Clause; the data set CC BY 4.0 (UCI).
``fashion-mnist``
    Zalando's Fashion-MNIST (Xiao et al. 2017): 60,000 train / 10,000 test 28x28 grey images,
    10 classes, MIT license, the official split. Read from IDX files in `data_dir`, by default
    Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``) or
    ``$PACT_TRAIN_DATA``.

Images come back NHWC float32 in [0, 1]; labels int64.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.errors import InputError

DATASETS = ("digits", "fashion-mnist")
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: how the digits' fixed train/test split is drawn (never the training seed)
DIGITS_SPLIT_SEED = 0
DIGITS_TEST_FRACTION = 0.2


@dataclass(frozen=True, slots=True)
class Dataset:
    """A train/test split: images (N, H, W, C) float32 in [0, 1], labels (N,) int64."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int
    source: str
    license: str

    @property
    def in_shape(self) -> tuple[int, int, int]:
        h, w, c = self.x_train.shape[1:]
        return (h, w, c)

    def subset(self, train: int | None = None, test: int | None = None) -> Dataset:
        """The first `train` / `test` examples (the split is already shuffled or class-mixed)."""
        return Dataset(
            self.name,
            self.x_train[:train],
            self.y_train[:train],
            self.x_test[:test],
            self.y_test[:test],
            self.classes,
            self.source,
            self.license,
        )


# --- IDX (MNIST-family) files --------------------------------------------------------------------

_IDX_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzip-compressed when the name ends in .gz), as in LeCun's MNIST format."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise InputError("idx_file", str(path), f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise InputError("idx_file", str(path), "is not an IDX file (bad magic number)")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    count = int(np.prod(dims)) if dims else 1
    if len(raw) - offset != count * dtype.itemsize:
        raise InputError("idx_file", str(path), f"holds {len(raw) - offset} data bytes, header says {dims}")
    return np.frombuffer(raw, dtype, count, offset).reshape(dims)


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzip when the name ends in .gz); used by the tests."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


# --- loaders -------------------------------------------------------------------------------------


def load_fashion_mnist(data_dir: str | os.PathLike[str] | None = None) -> Dataset:
    """Fashion-MNIST from IDX files (``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``)."""
    root = Path(data_dir or os.environ.get("PACT_TRAIN_DATA") or FASHION_MNIST_DIR)

    def find(stem: str) -> Path:
        for name in (f"{stem}.gz", stem):
            if (root / name).is_file():
                return root / name
        raise InputError(
            "data_dir",
            str(root),
            f"has no {stem}[.gz] (install Debian's dataset-fashion-mnist, pass --data-dir, or use --dataset digits)",
        )

    xtr = read_idx(find("train-images-idx3-ubyte"))
    ytr = read_idx(find("train-labels-idx1-ubyte"))
    xte = read_idx(find("t10k-images-idx3-ubyte"))
    yte = read_idx(find("t10k-labels-idx1-ubyte"))
    if xtr.ndim != 3 or len(xtr) != len(ytr) or xte.ndim != 3 or len(xte) != len(yte):
        raise InputError("data_dir", str(root), "IDX image/label files do not match in count or rank")
    scale = np.float32(1 / 255)
    return Dataset(
        "fashion-mnist",
        (xtr[..., None] * scale).astype(np.float32),
        ytr.astype(np.int64),
        (xte[..., None] * scale).astype(np.float32),
        yte.astype(np.int64),
        10,
        f"Fashion-MNIST IDX files in {root}",
        "MIT (Zalando SE 2017)",
    )


def _digits_array() -> np.ndarray:
    """(1797, 65) array: 64 pixel values 0..16 then the label, from scikit-learn's package data."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise InputError("dataset", "digits", "needs scikit-learn, which ships the data: pip install 'accelsim[train]'")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    if path.is_file():  # read the bundled file directly: importing sklearn costs about a second
        with gzip.open(path, "rt") as f:
            return np.loadtxt(f, delimiter=",", dtype=np.float64)
    from sklearn.datasets import load_digits  # layout changed: use the public API

    bunch = load_digits()
    return np.column_stack([bunch.data, bunch.target])


def load_digits() -> Dataset:
    """scikit-learn's 8x8 digits with a fixed, class-mixed 1438/359 split."""
    raw = _digits_array()
    x = (raw[:, :64] / 16.0).astype(np.float32).reshape(-1, 8, 8, 1)
    y = raw[:, 64].astype(np.int64)
    order = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(len(y))
    n_test = int(round(len(y) * DIGITS_TEST_FRACTION))
    test, train = order[:n_test], order[n_test:]
    return Dataset(
        "digits",
        x[train],
        y[train],
        x[test],
        y[test],
        10,
        "scikit-learn bundled UCI optdigits (sklearn/datasets/data/digits.csv.gz)",
        "scikit-learn BSD-3-Clause; data CC BY 4.0 (UCI)",
    )


def load_dataset(name: str, data_dir: str | os.PathLike[str] | None = None) -> Dataset:
    """Load a data set by name (see the module docstring)."""
    if name == "digits":
        return load_digits()
    if name == "fashion-mnist":
        return load_fashion_mnist(data_dir)
    raise InputError("dataset", name, f"must be one of {', '.join(DATASETS)}")


def batches(n: int, batch_size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """Index arrays of the mini-batches of one epoch (shuffled when `rng` is given; last one may be short)."""
    order = np.arange(n) if rng is None else rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


__all__ = [
    "DATASETS",
    "Dataset",
    "batches",
    "load_dataset",
    "load_digits",
    "load_fashion_mnist",
    "read_idx",
    "write_idx",
]
