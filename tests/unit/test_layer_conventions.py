"""Two conventions of the layer, checked from its source with ``ast`` (nothing is imported):

- only ``core/config.py`` reads the environment: every other module asks it for a typed, checked value, so a
  variable is named once and each function's needs are required at its cold start;
- every module logs through the Powertools logger (``messaging.core.observability``): a stdlib logger's lines
  lack the invocation's request and correlation ids that the entry wrapper injects.
"""

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

from tooling.paths import PROJECT_ROOT

LAYER = PROJECT_ROOT / "layers" / "messaging" / "messaging"
THE_READER = LAYER / "core" / "config.py"
_ENVIRONMENT = frozenset({"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"})
# Still logs through a stdlib logger: its module is being changed with the data layer's typed state (issue 22's
# other part). Strict: once converted this fails, and the entry is to go.


def layer_modules(root: Path = LAYER) -> list[Path]:
    return sorted(path for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def environment_reads(source: str) -> Iterator[str]:
    """Where the source touches the process environment: ``os.environ``, ``os.getenv`` and the like, however
    ``os`` or the names were imported."""
    tree = ast.parse(source)
    os_names = {"os"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {alias.asname or alias.name for alias in node.names if alias.name == "os"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in _ENVIRONMENT:
                    yield f"{node.lineno}: from os import {alias.name}"
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in _ENVIRONMENT
            and isinstance(node.value, ast.Name)
            and node.value.id in os_names
        ):
            yield f"{node.lineno}: {node.value.id}.{node.attr}"


def stdlib_loggers(source: str) -> Iterator[str]:
    """Where the source makes a logger of its own: ``logging.getLogger(...)``, or ``getLogger`` imported."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "logging":
            for alias in node.names:
                if alias.name == "getLogger":
                    yield f"{node.lineno}: from logging import getLogger"
        elif isinstance(node, ast.Attribute) and node.attr == "getLogger":
            yield f"{node.lineno}: {ast.unparse(node)}"


def offenders(paths: list[Path], check: Callable[[str], Iterator[str]]) -> list[str]:
    return [f"{path.relative_to(PROJECT_ROOT)}:{found}" for path in paths for found in check(path.read_text())]


def test_only_the_configuration_reads_the_environment() -> None:
    others = [path for path in layer_modules() if path != THE_READER]
    assert THE_READER in layer_modules()
    assert offenders(others, environment_reads) == []


def test_the_layer_logs_through_the_powertools_logger() -> None:
    assert offenders(layer_modules(), stdlib_loggers) == []


def test_the_checks_see_every_way_of_reaching_the_environment_and_a_logger() -> None:
    reads = """
import os
import os as system
from os import environ, getenv as env
a = os.environ["A"]
b = os.environ.get("B")
c = os.getenv("C")
d = system.environ
os.putenv("E", "1")
f = os.path.join("environ")
"""
    assert sorted(int(found.split(":")[0]) for found in environment_reads(reads)) == [4, 4, 5, 6, 7, 8, 9]
    assert list(environment_reads("import os\nos.path.exists('x')\nsettings().environ\n")) == []
    loggers = "import logging\nfrom logging import getLogger\na = logging.getLogger(__name__)\nb = getLogger()\n"
    assert sorted(int(found.split(":")[0]) for found in stdlib_loggers(loggers)) == [2, 3]
    assert list(stdlib_loggers("from messaging.core.observability import logger\nlogger.info('x')\n")) == []
