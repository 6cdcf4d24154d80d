"""``kubectl-chronos``: entry point and subcommand dispatch. Each subcommand lives in its own
module and registers itself with ``add_parser(s)``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chronos_operator import __version__

from . import actions, convert
from . import next as next_command
from .inputs import InputError

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubectl-chronos",
        description="Chronos jobs on Kubernetes: schedules, conversion between Chronos job JSON and "
        "ChronosJob manifests, and the run, mark-success, kill and graph actions.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(metavar="COMMAND")
    next_command.add_parser(subparsers)
    convert.add_parsers(subparsers)
    actions.add_parsers(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kubectl-chronos`` with ``argv`` (default: the process's arguments); the exit code.

    Bad input exits 2 with one line per problem on stderr, ``source: field: message``.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version and usage errors
        return e.code if isinstance(e.code, int) else EXIT_BAD_INPUT
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(args.run(args))
    except InputError as e:
        print(e, file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `kubectl-chronos next -n 1000 | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
