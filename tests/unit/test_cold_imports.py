"""Each function's cold start loads only what its route needs.

Every handler module of template.yaml is imported in a fresh interpreter, as Lambda imports it: no site (so none
of this venv's .pth paths), only the function's code, the layer and the installed packages on the path, and the
function's template environment. Modules its route never uses must not load. A structural guard, not a timing:
`make bench` prints the times; tests never assert them.
"""

import re
import subprocess
import sys
import sysconfig
from functools import cache
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tooling.paths import PROJECT_ROOT
from tooling.template import FunctionSpec, Template

LAYER = PROJECT_ROOT / "layers" / "messaging"
# Tracing is off in the template: the X-Ray SDK alone costs more than a function's import budget.
XRAY = ("aws_xray_sdk",)
# boto3 pulls in s3transfer, about a sixth of a cold start: the layer talks to AWS through botocore alone, and
# keeps Idempotency-Key records itself (Powertools' persistence layer imports boto3). pydantic's import is most
# of a function's budget: the HTTP edge's models are msgspec Structs.
NEVER = (
    *XRAY,
    "boto3",
    "s3transfer",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parameters",
    "pydantic",
)
# API Gateway checks tokens; the layer does so itself only under `sam local`, and the WebSocket authorizer.
TOKENS = ("jwt", "cryptography")
IDEMPOTENCY = ("messaging.conversations.idempotency",)
HTTP_MODELS = ("messaging.api.models",)
POSTGRES = ("psycopg2",)
# The AWS SDK: any module of botocore's. Not the bare package, which Powertools' own __init__ imports in every
# function to tag clients with its user agent (one module, about a millisecond); a trailing dot names only the
# submodules (session, client, loaders, ...), which are what an AWS client costs at cold start.
AWS_SDK = ("botocore.",)
# Everything of the layer but the core and the authorizer itself: the features' logic and data access.
LAYER_BELOW_EDGE = (
    "messaging.conversations",
    "messaging.activity",
    "messaging.people",
    "messaging.table",
    "messaging.limits",
    "messaging.unread",
    "messaging.realtime.connections",
    "messaging.realtime.push",
)

# C and D push a new message straight to the members' sockets (realtime/direct.py) but load the push, its frames,
# the connections and the management client only on the first message, in the push's own thread.
DIRECT_PUSH_LATER = ("messaging.realtime.push", "messaging.realtime.connections", "messaging.realtime.frames")

# What each function must not import. A new function declares its line here.
MUST_NOT_IMPORT: dict[str, tuple[str, ...]] = {
    "ListMessagesFunction": NEVER + TOKENS + IDEMPOTENCY,
    "ListMessageGroupsFunction": NEVER + TOKENS + IDEMPOTENCY,
    "MarkReadFunction": NEVER + TOKENS + IDEMPOTENCY,
    "CreateMessageFunction": NEVER + TOKENS + DIRECT_PUSH_LATER,
    "CreateMessageGroupFunction": NEVER + TOKENS + DIRECT_PUSH_LATER,
    # Edits and deletions need no Idempotency-Key: doing either twice ends as doing it once.
    "EditMessageFunction": NEVER + TOKENS + IDEMPOTENCY,
    "DeleteMessageFunction": NEVER + TOKENS + IDEMPOTENCY,
    "BlockUserFunction": NEVER + TOKENS + IDEMPOTENCY,
    "UnblockUserFunction": NEVER + TOKENS + IDEMPOTENCY,
    "ListBlocksFunction": NEVER + TOKENS + IDEMPOTENCY,
    "GetSettingsFunction": NEVER + TOKENS + IDEMPOTENCY,
    "PutSettingsFunction": NEVER + TOKENS + IDEMPOTENCY,
    "MuteMessageGroupFunction": NEVER + TOKENS + IDEMPOTENCY,
    "AcceptMessageGroupFunction": NEVER + TOKENS + IDEMPOTENCY,
    # A report is stored once per reporter by its condition, not by an Idempotency-Key.
    "ReportMessageFunction": NEVER + TOKENS + IDEMPOTENCY,
    "MessageStreamFunction": NEVER + TOKENS + IDEMPOTENCY + HTTP_MODELS + POSTGRES,
    "MessagePushFunction": NEVER + TOKENS + IDEMPOTENCY + POSTGRES,
    # The authorizer only checks the token (PyJWT + cryptography): $connect maps its sub to a user, so the
    # authorizer needs neither PostgreSQL nor an AWS client (botocore's alone is most of an import budget),
    # nor any of the layer's logic or data access.
    "WebSocketAuthorizerFunction": NEVER + IDEMPOTENCY + HTTP_MODELS + POSTGRES + AWS_SDK + LAYER_BELOW_EDGE,
    "WebSocketConnectFunction": NEVER + TOKENS + IDEMPOTENCY + HTTP_MODELS,
    # Only $connect reads PostgreSQL (the sub to a user): $disconnect finds the connection by its id.
    "WebSocketDisconnectFunction": NEVER + TOKENS + IDEMPOTENCY + HTTP_MODELS + POSTGRES,
    "WebSocketDefaultFunction": NEVER + TOKENS + IDEMPOTENCY + POSTGRES,
    # Typing reads who is typing from the group items, never from PostgreSQL; it writes no message.
    "WebSocketTypingFunction": NEVER + TOKENS + IDEMPOTENCY + POSTGRES + ("messaging.conversations",),
}

FUNCTIONS = Template(
    parameter_overrides={"UserPoolId": "us-east-1_testpool", "UserPoolClientId": "testclient"}
).functions
# The runtime provides boto3 (and botocore); the layer ships its requirements.txt. Nothing else is installed.
LAMBDA_REQUIREMENTS = ["boto3", *(LAYER / "requirements.txt").read_text().splitlines()]
# Run in the child before the handler is imported: the packages of this venv that Lambda lacks are hidden, as
# some change what gets imported (with pyOpenSSL installed, botocore loads urllib3's support for it, and
# cryptography with it).
_HIDE_WHAT_LAMBDA_LACKS = """
import sys
class NotInLambda:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] not in ABSENT:
            return None
        raise ModuleNotFoundError(f"No module named {name!r} (not installed in Lambda)", name=name)
sys.meta_path.insert(0, NotInLambda())
"""
_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|(?P<indent>\s*)(?P<module>\S+)\s*$")


def cold_import(spec: FunctionSpec) -> list[tuple[int, str]]:
    """The modules importing the handler loads, in -X importtime order: (depth, name), each after its imports."""
    module = spec.handler.rsplit(".", 1)[0]
    absent = sorted(set(metadata.packages_distributions()) - lambda_modules())
    program = f"ABSENT = {absent!r}\n{_HIDE_WHAT_LAMBDA_LACKS}\nsys.path[:0] = {lambda_path(spec)!r}\nimport {module}"
    result = run_as_lambda(spec, program, "-X", "importtime")
    return [
        (len(found["indent"]), found["module"])
        for line in result.stderr.splitlines()
        if (found := _IMPORT_LINE.match(line))
    ]


def lambda_path(spec: FunctionSpec) -> list[str]:
    """What Lambda puts on a function's path: its code, the layer, and (here) the installed packages."""
    return [str(spec.code_dir), str(LAYER), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]


def run_as_lambda(spec: FunctionSpec, program: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """``program`` in a fresh interpreter with no site and the function's template environment; it must succeed."""
    result = subprocess.run(  # noqa: S603 - our interpreter, our program
        [sys.executable, "-I", "-S", *flags, "-c", program],
        capture_output=True,
        text=True,
        env={**spec.environment, "AWS_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"{spec.logical_id} does not import:\n{result.stderr[-3000:]}"
    return result


@cache
def lambda_modules() -> frozenset[str]:
    """Top-level modules of the distributions a function has in Lambda: LAMBDA_REQUIREMENTS and theirs."""
    pending = [Requirement(line) for line in LAMBDA_REQUIREMENTS if line.strip() and not line.startswith("#")]
    distributions: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in distributions:
            continue
        distributions.add(name)
        for dependency in map(Requirement, metadata.requires(name) or []):
            # Markers name this interpreter and the extras asked for, e.g. PyJWT[crypto] brings cryptography.
            extras = [*requirement.extras, ""]
            if dependency.marker is None or any(dependency.marker.evaluate({"extra": e}) for e in extras):
                pending.append(dependency)
    return frozenset(
        module
        for module, owners in metadata.packages_distributions().items()
        if any(canonicalize_name(owner) in distributions for owner in owners)
    )


def importers(imports: list[tuple[int, str]], at: int) -> list[str]:
    """Who imported the module at index ``at``: importtime prints a module after the modules it imports, one
    level deeper, so each importer is the next line at a shallower depth."""
    chain, depth = [imports[at][1]], imports[at][0]
    for line_depth, name in imports[at + 1 :]:
        if line_depth < depth:
            chain.append(name)
            depth = line_depth
    return chain


def names(prefix: str, module: str) -> bool:
    """Whether a MUST_NOT_IMPORT entry names the module: "jwt" is jwt and jwt.x, not jwtx; "botocore." only
    botocore's submodules."""
    if prefix.endswith("."):
        return module.startswith(prefix)
    return module == prefix or module.startswith(f"{prefix}.")


def test_every_function_declares_what_it_must_not_import() -> None:
    undeclared = sorted(set(FUNCTIONS) - set(MUST_NOT_IMPORT))
    assert not undeclared, f"add a line to MUST_NOT_IMPORT for {undeclared}"


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_a_function_imports_only_what_its_route_needs(logical_id: str) -> None:
    imports = cold_import(FUNCTIONS[logical_id])
    offenders = {}
    for prefix in MUST_NOT_IMPORT.get(logical_id, ()):
        found = [i for i, (_, name) in enumerate(imports) if names(prefix, name)]
        if found:  # named by its outermost module, with the chain of imports that brought it in
            offenders[prefix] = " <- ".join(importers(imports, min(found, key=lambda i: imports[i][0])))
    assert not offenders, f"{logical_id} imports what its route never uses:\n" + "\n".join(offenders.values())


def test_lambda_has_the_layer_s_requirements_and_boto3_only() -> None:
    assert {"boto3", "botocore", "msgspec", "psycopg2", "jwt", "cryptography"} <= lambda_modules()
    assert not {"OpenSSL", "moto", "pytest", "aws_xray_sdk"} & lambda_modules()


def test_an_entry_names_a_package_and_its_modules_or_with_a_trailing_dot_its_modules_only() -> None:
    assert [names("jwt", m) for m in ("jwt", "jwt.api", "jwtx")] == [True, True, False]
    assert [names("botocore.", m) for m in ("botocore", "botocore.session", "botocorex")] == [False, True, False]


def test_the_import_chain_names_who_imported_a_module() -> None:
    imports = [(4, "jwt.api"), (2, "jwt"), (2, "json"), (0, "messaging.core.tokens"), (0, "app")]
    assert importers(imports, 0) == ["jwt.api", "jwt", "messaging.core.tokens"]
