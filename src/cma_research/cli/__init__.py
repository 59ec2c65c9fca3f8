"""The ``cma-research`` command line.

Every package error is printed as one line per problem on standard error, without a
traceback, and the command exits with status 2. So are operating-system failures (a
read-only or full disk, a folder where a file should be: ``error: PATH: reason``) and
mistyped arguments. Control characters in what is echoed (a value from a file, an
argument) are shown as escapes (``\\x1b``), never sent to the terminal raw. When
standard output is closed early (``cma-research validate f.csv | head -1``) the command
stops quietly with status 141, as a shell reports a program
ended by SIGPIPE (128 + 13).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from cma_research.cli.data import (
    describe_instrument,
    instruments_command,
    process_command,
    validate_command,
)
from cma_research.cli.parser import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_OK,
    build_parser,
    terminal_safe,
)
from cma_research.cli.reports import (
    build_command,
    business_report_command,
    claims_command,
    key_command,
)
from cma_research.cli.study import init_command
from cma_research.core.errors import CMAError

__all__ = [
    "COMMANDS",
    "EXIT_BROKEN_PIPE",
    "EXIT_ERROR",
    "EXIT_OK",
    "build_parser",
    "describe_instrument",
    "main",
]


#: Each subcommand and the function that runs it (it returns the exit status).
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": init_command,
    "validate": validate_command,
    "process": process_command,
    "build": build_command,
    "business-report": business_report_command,
    "claims": claims_command,
    "key": key_command,
    "instruments": instruments_command,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 error, 141 closed output)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = COMMANDS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except CMAError as exc:
        for line in str(exc).splitlines():
            print(f"error: {terminal_safe(line)}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"error: {terminal_safe(_os_error(exc))}", file=sys.stderr)
        return EXIT_ERROR


def _os_error(exc: OSError) -> str:
    """One line for an operating-system failure: the path and the reason."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    text = f"{exc.filename}: {reason}" if exc.filename is not None else reason
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _silence_stdout() -> None:
    """Point standard output at /dev/null so the exit-time flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (e.g. captured in tests): nothing is flushed at exit
