"""pact-train against damaged run folders and silently ignored flags (issue 15, classes 3, 4, 9):
each is one line, exit 2, and the run folder is left as it was; a kill between the checkpoint and
the log write loses no log row."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pact_train.cli import main
from pact_train.train import CHECKPOINT, LOG, read_log

TINY = ["--train-limit", "96", "--test-limit", "32", "--width", "4", "--batch-size", "32"]
pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("pact") / "run"
    assert main(["-q", "train", *TINY, "--epochs", "2", "--bits", "3", "--out", str(run)]) == 0
    return run


def _copy(run: Path, dest: Path) -> Path:
    dest.mkdir()
    for p in run.iterdir():
        (dest / p.name).write_bytes(p.read_bytes())
    return dest


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _one_line_exit_2(capsys, argv: list[str], *needles: str) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)


def _rewrite_npz(path: Path, change) -> None:
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])


def _bad_crc(p: Path) -> None:
    data = bytearray(p.read_bytes())
    with zipfile.ZipFile(p) as z:
        info = max(z.infolist(), key=lambda i: i.file_size)
    fn_len, extra_len = struct.unpack("<HH", bytes(data[info.header_offset + 26 : info.header_offset + 30]))
    start = info.header_offset + 30 + fn_len + extra_len + 200  # inside the array data, past the .npy header
    data[start] ^= 0xFF  # one byte of the largest array's data: its CRC no longer matches
    p.write_bytes(bytes(data))


def _wrong_dtype(p: Path) -> None:
    def change(a):
        key = next(k for k in a if k.startswith("param:"))
        a[key] = a[key].astype(np.float16)

    _rewrite_npz(p, change)


def _wrong_shape(p: Path) -> None:
    def change(a):
        key = next(k for k in a if k.startswith("param:"))
        a[key] = np.zeros((3, 3), a[key].dtype)

    _rewrite_npz(p, change)


def _not_a_checkpoint(p: Path) -> None:
    p.write_bytes(b"not a zip file at all")


@pytest.mark.parametrize(
    ("damage", "needle"),
    [
        (_truncate, "damaged or truncated"),
        (_bad_crc, "damaged or truncated"),
        (_wrong_dtype, "float16"),
        (_wrong_shape, "does not match the model"),
        (_not_a_checkpoint, "checkpoint="),
    ],
)
@pytest.mark.parametrize("command", ["resume", "export"])
def test_damaged_checkpoints_are_one_line(trained, tmp_path, capsys, damage, needle, command) -> None:
    run = _copy(trained, tmp_path / "run")
    damage(run / CHECKPOINT)
    before = _digest(run)
    argv = (
        ["-q", "train", "--resume", str(run), "--epochs", "3"]
        if command == "resume"
        else ["-q", "export", str(run), "-o", str(tmp_path / "m.json")]
    )
    _one_line_exit_2(capsys, argv, needle)
    assert _digest(run) == before and not (tmp_path / "m.json").exists()


def test_a_corrupt_log_is_rebuilt_from_the_checkpoint_on_resume(trained, tmp_path, capsys) -> None:
    run = _copy(trained, tmp_path / "run")
    good = (run / LOG).read_text()
    (run / LOG).write_text("epoch,lr\n1,abc\n\x00\x01garbage")
    with pytest.raises(Exception, match="row 2"):
        read_log(run / LOG)
    assert main(["-q", "train", "--resume", str(run), "--epochs", "3"]) == 0
    rows = (run / LOG).read_text().splitlines()
    assert len(rows) == 4 and "\n".join(rows[:3]) + "\n" == good  # the checkpoint's two rows, then epoch 3


def test_a_kill_between_checkpoint_and_log_loses_no_row(trained, tmp_path) -> None:
    """Simulate the kill: the checkpoint of epoch 2 is written, log.csv still has epoch 1 only."""
    run = _copy(trained, tmp_path / "run")
    lines = (run / LOG).read_text().splitlines()
    (run / LOG).write_text("\n".join(lines[:2]) + "\n")
    assert main(["-q", "train", "--resume", str(run), "--epochs", "3"]) == 0
    assert [int(r["epoch"]) for r in read_log(run / LOG)] == [1, 2, 3]  # 3 rows for 3 epochs
    uninterrupted = tmp_path / "clean"
    assert main(["-q", "train", *TINY, "--epochs", "3", "--bits", "3", "--out", str(uninterrupted)]) == 0
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in read_log(run / LOG)]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in read_log(uninterrupted / LOG)]


def test_a_non_utf8_config_is_one_line(trained, tmp_path, capsys) -> None:
    run = _copy(trained, tmp_path / "run")
    (run / "config.json").write_bytes(b'{"model": "\xff"}')
    before = _digest(run)
    _one_line_exit_2(capsys, ["-q", "train", "--resume", str(run), "--epochs", "3"], "not UTF-8")
    _one_line_exit_2(capsys, ["-q", "export", str(run), "-o", str(tmp_path / "m.json")], "not UTF-8")
    (run / "config.json").write_text('{"model": 5, "epochs": "x"}')
    _one_line_exit_2(capsys, ["-q", "train", "--resume", str(run), "--epochs", "3"], "model=5")
    assert _digest(run)["checkpoint.npz"] == before["checkpoint.npz"]


def test_out_an_existing_file_or_under_a_file_is_one_line(tmp_path, capsys) -> None:
    (tmp_path / "f").write_text("keep")
    _one_line_exit_2(
        capsys, ["-q", "train", *TINY, "--epochs", "1", "--out", str(tmp_path / "f")], "out=", "existing file"
    )
    _one_line_exit_2(capsys, ["-q", "train", *TINY, "--epochs", "1", "--out", str(tmp_path / "f" / "run")], "out=")
    assert (tmp_path / "f").read_text() == "keep"


def test_epochs_0_and_a_resume_that_would_do_nothing_are_refused(trained, tmp_path, capsys) -> None:
    _one_line_exit_2(capsys, ["-q", "train", *TINY, "--epochs", "0", "--out", str(tmp_path / "r")], "epochs=0")
    assert not (tmp_path / "r").exists()
    _one_line_exit_2(capsys, ["-q", "train", "--resume", str(trained), "--epochs", "2"], "already holds 2 epochs")


@pytest.mark.parametrize("flag", [["--bits", "2"], ["--lr", "0.5"], ["--model", "resnet20"], ["--bits=5"]])
def test_training_flags_with_resume_are_refused_not_ignored(trained, capsys, flag) -> None:
    before = _digest(trained)
    _one_line_exit_2(
        capsys, ["-q", "train", "--resume", str(trained), "--epochs", "3", *flag], "cannot change a resumed run"
    )
    assert _digest(trained) == before


def test_export_to_a_private_dev_full_reports_it_and_keeps_the_device(trained, tmp_path, capsys) -> None:
    """The issue's destructive case: `export -o /dev/full` replaced the device with a JSON file."""
    import os
    import stat

    node = tmp_path / "full"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("mknod needs CAP_MKNOD (root)")
    _one_line_exit_2(capsys, ["-q", "export", str(trained), "-o", str(node)], "output=", "disk is full")
    assert stat.S_ISCHR(os.stat(node).st_mode) and os.listdir(tmp_path) == ["full"]
    (tmp_path / "dir.json").mkdir()
    _one_line_exit_2(capsys, ["-q", "export", str(trained), "-o", str(tmp_path / "dir.json")], "is a directory")
