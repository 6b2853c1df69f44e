"""The `optimizer` command: files in, files out.

Each area registers its own subcommands (see `optimizer/commands/`); other
packages (the API) add theirs through the `optimizer.commands` entry-point
group, so the core never imports them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from optimizer.errors import InputError, OptimizerError

CORE_COMMAND_MODULES = (
    "optimizer.commands.sorting",
    "optimizer.commands.vrptw",
    "optimizer.commands.network",
    "optimizer.commands.demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optimizer",
        description="Parcel sorting and cross-border route-planning optimizer.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    generate = commands.add_parser(
        "generate", help="generate realistic test data", description="Generate realistic data."
    )
    generators = generate.add_subparsers(dest="what", metavar="WHAT", required=True)
    for module_name in CORE_COMMAND_MODULES:
        module = __import__(module_name, fromlist=["register"])
        module.register(commands, generators)
    for entry in entry_points(group="optimizer.commands"):
        entry.load()(commands, generators)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except OptimizerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"error: file not found: {exc.filename}", file=sys.stderr)
        return 2
    except OSError as exc:  # a directory given as a file, no permission, disk full, ...
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:  # readers name the file themselves; this is the backstop
        print(f"error: input is not UTF-8 text (byte {exc.start}: {exc.reason})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
