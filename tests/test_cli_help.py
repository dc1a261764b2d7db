"""Every command's --help has a description and two or three examples that parse."""

from __future__ import annotations

import shlex

import pytest

from accelsim.cli.examples import EXAMPLES
from accelsim.cli.main import build_parser


def _commands():
    parser = build_parser()
    (action,) = parser._subparsers._group_actions
    for name, sub in action.choices.items():
        yield name, sub
        for inner in sub._subparsers._group_actions if sub._subparsers else ():
            for child_name, child in inner.choices.items():
                yield f"{name} {child_name}", child


def test_every_command_has_a_description_and_examples() -> None:
    seen = set()
    for name, sub in _commands():
        seen.add(name)
        assert sub.description and len(sub.description) > 20, name
        text = sub.format_help()
        assert "examples:" in text, name
        assert 2 <= len(EXAMPLES[name]) <= 3, name
    assert seen >= {
        "sweep",
        "run",
        "fit",
        "results",
        "pareto",
        "workloads",
        "layers",
        "config",
        "config show",
        "export-topology",
        "import",
        "reproduce",
    }


@pytest.mark.parametrize(("command", "line"), [(c, line) for c, ex in EXAMPLES.items() for _, line in ex])
def test_examples_parse(command: str, line: str) -> None:
    argv = shlex.split(line)
    assert argv[0] == "accelsim" and " ".join(argv[1:]).startswith(command.split()[0])
    args = build_parser().parse_args(argv[1:])  # a misspelt flag exits here (SystemExit)
    assert callable(args.func)


def test_workload_help_lists_every_input_kind() -> None:
    for name, sub in _commands():
        for action in sub._actions:
            if action.dest == "workload" and action.help and not action.help.startswith("keep points"):
                assert all(kind in action.help for kind in (".json", ".csv", ".onnx")), name
