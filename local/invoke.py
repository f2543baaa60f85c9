"""``sam local invoke`` without Docker: one function of template.yaml run in this process, with a sample event and
SAM's ``--env-vars`` file, in the environment SAM CLI's container would give it (``AWS_SAM_LOCAL=true``).

    python -m local.invoke ListMessagesFunction -e events/list_messages.json --env-vars env.local.json

It prints the function's result as JSON, as ``sam local invoke`` does. The tests run every sample event through it
against the ``make dev`` stack, with the same environment file that README's ``sam local`` steps use.
"""

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from local.runtime.lambdas import LocalFunctions
from tooling.moto_clients import MOTO_CREDENTIALS
from tooling.template import Template


def sam_environment(env_vars: dict[str, Any], function: str) -> dict[str, str]:
    """What SAM CLI takes from an ``--env-vars`` file: ``Parameters`` for every function, then the function's own."""
    chosen = {**env_vars.get("Parameters", {}), **env_vars.get(function, {})}
    return {name: str(value) for name, value in chosen.items()}


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    template = Template(parameter_overrides=dict(pair.split("=", 1) for pair in args.parameter_overrides))
    if args.function not in template.functions:
        print(
            f"error: no function {args.function!r} in template.yaml: {', '.join(template.functions)}", file=sys.stderr
        )
        return 2
    env_vars = json.loads(args.env_vars.read_text()) if args.env_vars else {}
    # SAM hands the container your AWS credentials and region; moto accepts any, so local ones stand in.
    region = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in {**{k.upper(): v for k, v in MOTO_CREDENTIALS.items()}, **region}.items():
        os.environ.setdefault(name, value)
    overrides = {**sam_environment(env_vars, args.function), "AWS_SAM_LOCAL": "true"}
    # As with SAM, the function's logs go to stderr and only its result to stdout.
    with contextlib.redirect_stdout(sys.stderr):
        result = LocalFunctions(template, overrides).invoke(args.function, json.loads(args.event.read_text()))
    print(json.dumps(result, indent=2))
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.invoke", description=__doc__.splitlines()[0])
    parser.add_argument("function", help="the function's logical id in template.yaml, e.g. ListMessagesFunction")
    parser.add_argument(
        "-e", "--event", type=Path, required=True, help="the event file, e.g. events/list_messages.json"
    )
    parser.add_argument("--env-vars", type=Path, help="SAM's environment file, e.g. env.local.json")
    parser.add_argument("--parameter-overrides", nargs="*", default=[], metavar="NAME=VALUE")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
