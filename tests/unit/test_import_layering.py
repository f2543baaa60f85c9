"""The layering the architecture states, checked from the source: which files may not import which packages.

Imports are read with ``ast`` (absolute, relative, and ``importlib.import_module``/``__import__`` of a constant),
never by importing anything. bin/ holds shell scripts: the module each one runs (``run-python MODULE``) counts as
its import. To add a rule, add a row to RULES.
"""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tooling.paths import PROJECT_ROOT


@dataclass(frozen=True)
class Rule:
    files: str  # a glob under the project root
    forbidden: tuple[str, ...]  # module prefixes: "local" forbids local and local.x, not localx
    reason: str


_FEATURES = ("messaging.conversations", "messaging.activity", "messaging.realtime", "messaging.moderation")
_LAYER = "layers/messaging/messaging"

RULES = (
    Rule("ops/**/*.py", ("local",), "operator scripts act on AWS too; the emulator is not production tooling"),
    Rule("bin/**/*", ("local",), "operator scripts act on AWS too; the emulator is not production tooling"),
    Rule("tooling/**/*.py", ("local",), "tooling is what ops/ shares with the emulator, so it cannot need it"),
    Rule(
        "local/**/*.py",
        ("tests", "bench", "ops"),
        "the emulator stands alone: its harness (tests/api_client.py, tests/dev_process.py) drives it from outside",
    ),
    # The layer, by feature (conversations, activity, realtime) over shared packages: the core at the bottom, the
    # table's shape and the people above it, limits and the HTTP/JSON edge (api) beside them.
    Rule(
        f"{_LAYER}/core/**/*.py",
        (
            *_FEATURES,
            "messaging.api",
            "messaging.table",
            "messaging.people",
            "messaging.limits",
            "messaging.unread",
        ),
        "the core (domain, errors, configuration, AWS clients, tokens) sits below everything",
    ),
    Rule(
        f"{_LAYER}/table/**/*.py",
        (*_FEATURES, "messaging.api", "messaging.people", "messaging.limits"),
        "the table's shape knows the domain, nothing of any feature",
    ),
    Rule(
        f"{_LAYER}/people/**/*.py",
        (*_FEATURES, "messaging.api", "messaging.table", "messaging.limits"),
        "profiles live in PostgreSQL: no feature, no table",
    ),
    Rule(f"{_LAYER}/limits/**/*.py", (*_FEATURES, "messaging.api", "messaging.table"), "limits serve every feature"),
    Rule(
        f"{_LAYER}/unread/**/*.py",
        (*_FEATURES, "messaging.api", "messaging.people", "messaging.limits"),
        "read state is shared by the read marker and pattern E: it knows the table, no feature",
    ),
    Rule(
        f"{_LAYER}/safety/**/*.py",
        _FEATURES,
        "blocks, settings and mute are kept on the items the features read: shared by them, it knows no feature",
    ),
    Rule(f"{_LAYER}/api/**/*.py", (*_FEATURES, "messaging.table", "messaging.limits"), "the HTTP edge serves them"),
    Rule(
        f"{_LAYER}/conversations/**/*.py",
        ("messaging.activity", "messaging.realtime", "messaging.moderation"),
        "a feature does not reach into another",
    ),
    # A report is about a message: moderation reads it (and the caller's membership) through conversations' own
    # data modules, and nothing else of any feature.
    Rule(
        f"{_LAYER}/moderation/**/*.py",
        (
            "messaging.activity",
            "messaging.realtime",
            "messaging.conversations.service",
            "messaging.conversations.operations",
            "messaging.conversations.changes",
            "messaging.conversations.idempotency",
        ),
        "a feature does not reach into another, but for the message a report is about",
    ),
    Rule(
        f"{_LAYER}/activity/**/*.py",
        ("messaging.conversations", "messaging.realtime", "messaging.moderation", "messaging.api"),
        "a feature does not reach into another; pattern E has no HTTP",
    ),
    Rule(
        f"{_LAYER}/realtime/**/*.py",
        ("messaging.conversations", "messaging.activity", "messaging.moderation"),
        "a feature does not reach into another",
    ),
    Rule(
        "functions/**/*.py",
        ("messaging.table", "messaging.core.aws", "local", "tooling"),
        "handlers call a feature's edge, a few lines",
    ),
    Rule("layers/messaging/**/*.py", ("local", "tooling", "ops", "bench", "tests"), "the layer ships alone to Lambda"),
    Rule(
        "layers/messaging/**/*.py",
        (
            "boto3",
            "pydantic",
            "aws_lambda_powertools.utilities.parameters",
            "aws_lambda_powertools.utilities.idempotency",
        ),
        "each costs a cold start wherever it loads, at import or on a first request: the layer talks to AWS through "
        "botocore and models with msgspec",
    ),
)

_RUN_PYTHON = re.compile(r"run-python\"?\s+([\w.]+)")


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str


def test_every_rule_applies_to_some_file() -> None:
    # A rule whose glob matches nothing (a typo, a moved package) would pass forever.
    assert [rule.files for rule in RULES if not rule_files(rule, PROJECT_ROOT)] == []


@pytest.mark.parametrize("rule", RULES, ids=[rule.files for rule in RULES])
def test_no_forbidden_import(rule: Rule) -> None:
    found = [
        f"{found.path.relative_to(PROJECT_ROOT)}:{found.line} imports {found.module}"
        for found in violations(rule, PROJECT_ROOT)
    ]
    assert found == [], f"{rule.files} may not import {', '.join(rule.forbidden)}: {rule.reason}"


def test_the_checker_sees_every_kind_of_import(tmp_path: Path) -> None:
    package = tmp_path / "ops"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "fine.py").write_text("import localstack\nfrom tooling import paths\nfrom .sibling import x\n")
    (package / "bad.py").write_text(
        "import local\n"
        "from local.stack import EmulatedStack\n"
        "def later():\n"
        "    import local.dev as dev\n"
        "    importlib.import_module('local.invoke')\n"
        "from .. import local\n"  # the project root's local, relative to ops/
    )
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "script").write_text('#!/usr/bin/env bash\nexec "$(dirname "$0")/run-python" local.dev "$@"\n')

    for rule in RULES[:2]:
        assert rule_files(rule, tmp_path)
    found = [(v.path.name, v.line, v.module) for rule in RULES[:2] for v in violations(rule, tmp_path)]

    assert found == [
        ("bad.py", 1, "local"),
        ("bad.py", 2, "local.stack"),
        ("bad.py", 4, "local.dev"),
        ("bad.py", 5, "local.invoke"),
        ("bad.py", 6, "local"),
        ("script", 2, "local.dev"),
    ]


def rule_files(rule: Rule, root: Path) -> list[Path]:
    return sorted(path for path in root.glob(rule.files) if path.is_file() and "__pycache__" not in path.parts)


def violations(rule: Rule, root: Path) -> list[Import]:
    return [
        found
        for path in rule_files(rule, root)
        for found in sorted(imports(path, root), key=lambda found: found.line)
        if any(found.module == prefix or found.module.startswith(f"{prefix}.") for prefix in rule.forbidden)
    ]


def imports(path: Path, root: Path) -> Iterator[Import]:
    text = path.read_text()
    if path.suffix != ".py" and "python" not in text.partition("\n")[0]:
        for number, line in enumerate(text.splitlines(), start=1):
            for module in _RUN_PYTHON.findall(line):
                yield Import(path, number, module)
        return
    package = path.relative_to(root).parent.parts
    for node in ast.walk(ast.parse(text, filename=str(path))):
        for module in _modules(node, package):
            yield Import(path, getattr(node, "lineno", 0), module)


def _modules(node: ast.AST, package: tuple[str, ...]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level == 0:
            return [node.module or ""]
        base = package[: len(package) - node.level + 1]
        if node.module:
            return [".".join((*base, node.module))]
        # ``from .. import x``: each name may be a module of that package.
        return [".".join((*base, alias.name)) for alias in node.names]
    if isinstance(node, ast.Call) and _is_import_function(node.func) and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return [first.value]
    return []


def _is_import_function(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id in {"import_module", "__import__"}
    )
