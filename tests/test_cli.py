"""The `optimizer` command itself."""

from __future__ import annotations

import subprocess
import sys

import pytest

from optimizer.cli import build_parser


def _subcommand_paths() -> list[list[str]]:
    parser = build_parser()
    paths: list[list[str]] = []

    def walk(p, prefix: list[str]) -> None:
        for action in p._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for name, sub in action.choices.items():
                    paths.append([*prefix, name])
                    walk(sub, [*prefix, name])

    walk(parser, [])
    return paths


def test_top_level_help_lists_commands():
    """`python -m optimizer --help` works and exits 0."""
    out = subprocess.run(
        [sys.executable, "-m", "optimizer", "--help"], capture_output=True, text=True, check=True
    )
    assert "generate" in out.stdout


@pytest.mark.parametrize("path", _subcommand_paths(), ids=" ".join)
def test_every_subcommand_has_help(path, capsys):
    """Every subcommand answers --help with a usage line and exit status 0."""
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*path, "--help"])
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out
