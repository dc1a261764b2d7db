"""Public names of a package loaded on first use (PEP 562), so importing the package stays cheap.

`accelsim` and `accelsim.ir` re-export their API this way: ``import accelsim.errors`` (which `tech`
and `workloads` do) must not pull in the model, nor ``accelsim.ir.units`` networkx. Imports nothing
from accelsim.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, public: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of `package`, whose `public` maps each name to
    the module that defines it; a name loaded once is stored on the package, so later lookups skip it.
    """

    def __getattr__(name: str) -> Any:
        module = public.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__


__all__ = ["lazy_exports"]
