"""The simulation subcommands: `sweep`, `run`, `fit`, `results` and `pareto`, registered into `accelsim`.

Thin shells over `accelsim.explore.sweep`, `accelsim.model.sim`, `accelsim.model.fit`, `accelsim.explore.store` and
`accelsim.explore.pareto`: parse, call, print. Results go to stdout, the progress bar and errors to
stderr; bad input is one line and exit code 2 (the main parser in `accelsim.cli.main` turns InputError
into that line), checked before any work starts or any file is written.

This module only registers the five, in the order `accelsim --help` lists them; each command lives
with its parser: `sweep` in `sweep_commands`, `run` in `run_command`, `fit` in `fit_command`,
`results` and `pareto` in `store_commands`, their shared argument types in `options`.
"""

from __future__ import annotations

from typing import Any

from accelsim.cli.fit_command import register_fit
from accelsim.cli.run_command import register_run
from accelsim.cli.store_commands import register_pareto, register_results
from accelsim.cli.sweep_commands import register_sweep


def register(subparsers: Any) -> None:
    """Add `sweep`, `run`, `fit`, `results` and `pareto` to the `accelsim` subcommand parsers."""
    register_sweep(subparsers)
    register_run(subparsers)
    register_fit(subparsers)
    register_results(subparsers)
    register_pareto(subparsers)


__all__ = ["register"]
