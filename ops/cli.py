"""What every operator script shares: the ``prod`` argument, one-line failures, confirmation of destruction."""

import argparse
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg2
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from ops.target import LOCAL, PROD, ScriptError, Target, resolve_target
from tooling.stack_state import StackNotRunning

type Script = Callable[[Target, argparse.Namespace], None]

# What a shell reports for a writer killed by SIGPIPE (`seq 1000000 | head -1`, then ${PIPESTATUS[0]}).
SIGPIPE_STATUS = 128 + signal.SIGPIPE


@dataclass(frozen=True)
class Command:
    script: Script
    description: str
    options: Callable[[argparse.ArgumentParser], None] = lambda _cli: None
    local_only: bool = False  # no `prod` argument


def dispatch(group: str, commands: dict[str, Command], argv: list[str] | None = None) -> int:
    """Runs ``<group>/<name> [args]``: the bin/ wrappers pass the script's name first."""
    with _quiet_when_the_reader_leaves():
        return _dispatch(group, commands, sys.argv[1:] if argv is None else argv)


def _dispatch(group: str, commands: dict[str, Command], argv: list[str]) -> int:
    if not argv or argv[0] not in commands:
        print(f"usage: {group}/{{{','.join(commands)}}} [--help]", file=sys.stderr)
        return 2
    name, *rest = argv
    command = commands[name]
    cli = argparse.ArgumentParser(prog=f"{group}/{name}", description=command.description)
    if command.local_only:
        cli.set_defaults(target=LOCAL)
    else:
        cli.add_argument(
            "target",
            nargs="?",
            choices=[LOCAL, PROD],
            default=LOCAL,
            help="the running local stack (default) or AWS (see ops/target.py for the variables prod reads)",
        )
    command.options(cli)
    return run(cli, command.script, rest)


@contextmanager
def _quiet_when_the_reader_leaves() -> Iterator[None]:
    """``script | head`` closes the pipe early: stop quietly, as standard tools do, instead of a traceback.

    Python ignores SIGPIPE, so the write fails with BrokenPipeError; the Python docs' recipe (signal module,
    "Note on SIGPIPE") points stdout at devnull so the final flush at exit cannot fail again, and exits non-zero.
    stderr goes too: with ``2>&1`` it is the same closed pipe.
    """
    try:
        try:
            yield
        finally:
            sys.stdout.flush()  # buffered output reaches the pipe here when nothing was written before
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.dup2(devnull, sys.stderr.fileno())
        raise SystemExit(SIGPIPE_STATUS) from None


def run(cli: argparse.ArgumentParser, script: Script, argv: list[str] | None = None) -> int:
    """Parses the arguments and runs ``script``; any failure is one line on stderr and exit code 1."""
    args = cli.parse_args(argv)
    try:
        script(resolve_target(args.target), args)
    except KeyboardInterrupt:
        print(f"{cli.prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        reason = failure_reason(error)
        if reason is None:
            raise
        print(f"{cli.prog}: error: {reason}", file=sys.stderr)
        return 1
    return 0


def failure_reason(error: Exception) -> str | None:  # noqa: PLR0911 - one answer per expected failure
    """The one line an operator needs for a failure we expect (None: a bug, let the traceback show)."""
    match error:
        case ScriptError() | StackNotRunning():
            return str(error)
        case NoCredentialsError():
            return "no AWS credentials: configure a profile or the AWS_* variables"
        case ClientError() if error.response["Error"].get("Code") == "ResourceNotFoundException":
            return (
                f"{error.response['Error'].get('Message') or 'not found'} (does the table exist? bin/ddb/schema-load)"
            )
        case ClientError():
            return f"{error.response['Error'].get('Code')}: {error.response['Error'].get('Message')}"
        case BotoCoreError():
            return f"cannot reach AWS: {error} (is 'make dev' running?)"
        case psycopg2.Error():
            text = str(error).strip()
            return f"PostgreSQL: {text.splitlines()[0] if text else type(error).__name__}"
    return None


def confirm(question: str, assume_yes: bool) -> None:
    """Asks on the terminal; no answer (or no terminal) is a no, so nothing is destroyed by accident."""
    if assume_yes:
        return
    print(f"{question} [y/N] ", end="", flush=True)
    answer = sys.stdin.readline().strip().lower()
    if not sys.stdin.isatty():
        print()  # the answer came from a pipe, not a keyboard that ends the line itself
    if answer not in {"y", "yes"}:
        raise ScriptError("not confirmed; nothing changed (pass --yes to skip the question)")
