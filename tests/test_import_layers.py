"""The package layout is the data flow: every import (module-level or inside a function) points down.

ir -> io -> hardware -> model -> explore -> report -> cli, with `accelsim.errors`, `accelsim.atomic`
(writing outputs) and `accelsim.inputfiles` (reading user files) below everything; `tech` and
`workloads` use only errors and ir; `pact_train` never reaches the exploration or CLI layers.
Imports under ``if TYPE_CHECKING:`` are not run, so they are skipped.
The second test finds import cycles between modules, lazy imports included (a lazy import that
hides a cycle is still a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("accelsim", "tech", "workloads", "pact_train")

#: Layers of the flow, lowest first; a component may import the components before it (see ALLOWED).
ORDER = (
    "_version",
    "_lazy",
    "errors",
    "atomic",
    "inputfiles",
    "ir",
    "tech",
    "workloads",
    "io",
    "hardware",
    "model",
    "explore",
    "report",
    "cli",
)
ALLOWED: dict[str, set[str]] = {name: set(ORDER[:i]) for i, name in enumerate(ORDER)}
ALLOWED["tech"] = {"errors", "ir"}  # the brief: tech data depends on nothing but errors and the IR
ALLOWED["workloads"] = {"errors", "ir"}
ALLOWED["pact_train"] = set(ORDER) - {"explore", "cli"}
ALLOWED["accelsim"] = set(ORDER)  # the package facade re-exports the public API (lazily)
ALLOWED["__main__"] = {"cli"}


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


def _under_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            return True
    return False


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Internal modules `module` imports at run time (a `from pkg import name` resolves to the
    submodule when `name` is one, else to the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    out = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or _under_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative import
                pkg = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        out.update(t for t in targets if t.split(".")[0] in PACKAGES and t in known)
    out.discard(module)
    return out


def _component(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "accelsim":
        return parts[0]
    return parts[1] if len(parts) > 1 else "accelsim"


def _graph() -> nx.DiGraph:
    mods = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for module, path in mods.items():
        for target in _imports(module, path, set(mods)):
            g.add_edge(module, target)
    return g


def test_every_import_points_down_the_flow() -> None:
    g = _graph()
    assert {"accelsim.ir", "accelsim.model.sim", "accelsim.explore.store", "tech"} <= set(g)  # the walk sees them
    wrong = sorted(
        f"{a} imports {b}"
        for a, b in g.edges
        if _component(a) != _component(b) and _component(b) not in ALLOWED[_component(a)]
    )
    assert wrong == []


def test_no_import_cycles_between_modules() -> None:
    cycles = sorted(" -> ".join(c) for c in nx.simple_cycles(_graph()))
    assert cycles == []


def test_the_check_sees_a_lazy_upward_import(tmp_path) -> None:
    """The walk reads imports inside functions too (what hid the old cycles)."""
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from accelsim.cli.main import main\n    return main\n", encoding="utf-8")
    assert _imports("accelsim.ir.m", src, {"accelsim.cli.main"}) == {"accelsim.cli.main"}


def test_the_public_api_resolves_and_no_module_shadows_a_function() -> None:
    import accelsim
    import accelsim.explore.sweep as sweep_module

    assert all(getattr(accelsim, name) is not None for name in accelsim.__all__)
    assert callable(accelsim.sweep) and accelsim.sweep is sweep_module.sweep
    assert callable(sweep_module.sweep_grid)
    from accelsim.cli import main  # the console script's entry point (pyproject: accelsim.cli:main)

    assert callable(main)
