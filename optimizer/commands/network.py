"""`optimizer` subcommands for network (placeholder until the area lands)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction, generators: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the parser."""
