"""How long `accelsim --help` and `import accelsim` take, and which imports cost the most.

Runs each command --repeat times in fresh interpreters (best and median wall time, including
interpreter start-up, which is printed alone for reference), then one `python -X importtime` pass
listing the top-level packages by self time. Target (issue 14): `accelsim --help` <= 0.3 s.

    PYTHONPATH=$PWD python bench/startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "python -c pass (interpreter alone)": ["-c", "pass"],
    "python -c 'import accelsim'": ["-c", "import accelsim"],
    "accelsim --help": ["-m", "accelsim", "--help"],
    "accelsim sweep --help": ["-m", "accelsim", "sweep", "--help"],
}
TARGET_S = 0.3
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def wall_times(args: list[str], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], env=_env(), stdout=subprocess.DEVNULL, check=True)
        out.append(time.perf_counter() - start)
    return out


def import_costs(args: list[str]) -> Counter[str]:
    """Self time per top-level package (ms) of one `python -X importtime` run."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], env=_env(), capture_output=True, text=True, check=True
    )
    costs: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        m = _LINE.match(line)
        if m:
            costs[m.group(3).split(".")[0]] += int(m.group(1)) / 1000
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    for label, argv in COMMANDS.items():
        walls = wall_times(argv, args.repeat)
        print(f"{label:38s} best {min(walls):.3f} s  median {statistics.median(walls):.3f} s")
    help_best = min(wall_times(COMMANDS["accelsim --help"], args.repeat))
    verdict = "meets" if help_best <= TARGET_S else "misses"
    print(f"accelsim --help best {help_best:.3f} s {verdict} the {TARGET_S} s target")
    costs = import_costs(COMMANDS["accelsim --help"])
    print(f"imports of `accelsim --help` by self time ({sum(costs.values()):.0f} ms in all):")
    for name, ms in costs.most_common(8):
        print(f"  {name:20s} {ms:6.1f} ms")
    heavy = [
        name
        for name in ("networkx", "numpy", "scipy", "matplotlib", "simpy", "onnx", "dask", "pandas")
        if name in costs
    ]
    print("heavy packages imported:", ", ".join(heavy) or "none")


if __name__ == "__main__":
    main()
