"""The library's exception types.

Library code raises these and never prints or exits; the CLI turns an `InputError` into one line on
stderr and exit code 2 (pypa/build convention), so a user sees which field and value were wrong.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Process exit codes of every command line in the project (accelsim and pact-train), defined once.
EXIT_OK = 0
EXIT_INTERNAL = 1  # a bug or a numerical failure: the traceback-free one-line report still exits non-zero
EXIT_INPUT = 2  # bad input (InputError) or bad usage (argparse's own convention)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


class AccelsimError(Exception):
    """Base class of every error accelsim raises on purpose."""


class InputError(AccelsimError, ValueError):
    """Bad user data: a field had a value that breaks a rule.

    The message always names the field and the offending value, e.g.
    ``bits=33: must be an integer in 1..32``.
    """

    def __init__(self, field: str, value: Any, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(f"{field}={value!r}: {rule}")

    def __reduce__(self) -> tuple[type[InputError], tuple[str, Any, str]]:
        # Rebuild from the three fields so the error crosses process boundaries (sweep workers).
        return (type(self), (self.field, self.value, self.rule))


def optional_import(module: str, field: str, value: Any, rule: str) -> Any:
    """`module` (an optional extra), or one `InputError` line saying how to install it when missing.

    >>> optional_import("json", "json", "not installed", "never raised").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(field, value, rule) from None


__all__ = [
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "AccelsimError",
    "InputError",
    "optional_import",
]
