"""The ``newsclass`` command: a thin layer over the library's public functions."""

from __future__ import annotations

import argparse
import sys

from newsclass._version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsclass", description="Label Chinese news articles by topic.")
    parser.add_argument("--version", action="version", version=f"newsclass {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
