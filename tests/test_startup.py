"""`accelsim --help` stays fast: building the parser imports none of the heavy libraries.

A time bound would be flaky on a shared machine; what makes start-up slow is importing networkx,
numpy, matplotlib and friends, and that is deterministic. bench/startup.py prints the times.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("networkx", "numpy", "scipy", "matplotlib", "simpy", "onnx", "dask", "pandas", "tqdm")
PROBE = (
    "import sys\n"
    "from accelsim.cli.main import build_parser\n"
    "build_parser().format_help()\n"
    "parser = build_parser()\n"
    "for action in parser._subparsers._group_actions:\n"
    "    for sub in action.choices.values():\n"
    "        sub.format_help()\n"
    f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
)


def test_building_the_parser_imports_no_heavy_library() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"imported while building the CLI: {done.stdout.strip()}"


def test_import_accelsim_is_lazy() -> None:
    probe = f"import sys, accelsim; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr
