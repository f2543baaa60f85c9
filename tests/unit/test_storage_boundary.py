"""Storage stays in the data modules (issue 22): the layer's logic sees typed state, never DynamoDB's attribute
values or botocore.

Two checks. From the source (``ast``, nothing imported): no logic module indexes or builds an attribute value
(``item["user_uuid"]["S"]``, ``.get("N")``, ``{"S": ...}``), imports botocore, or names botocore's errors. From the
running code: every data-module function a logic module calls returns typed values (Structs, enums, builtins),
never ``Any`` or a dict of dicts (the shape of an item), so logic cannot come to hold a raw item. (Lambda's own
events reach ``table.records`` as they came, through the edges, which never look inside them: the source check.)
"""

import ast
import importlib
import inspect
import types
import typing
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path

import msgspec
import pytest

from tooling.paths import PROJECT_ROOT

LAYER = PROJECT_ROOT / "layers/messaging/messaging"

# The modules that talk to a store: only they may hold its shapes. Everything else in the layer is logic (or an
# edge of it), so a new module is checked unless it is added here.
DATA_MODULES = (
    "core/aws.py",  # the clients, and what their failures mean
    "table/*.py",  # the single table's keys, items, stream records, paging
    "people/*.py",  # PostgreSQL and SSM
    "conversations/groups.py",
    "conversations/messages.py",
    "conversations/idempotency_records.py",
    "unread/store.py",
    "realtime/connections.py",
    "realtime/management.py",
    "realtime/presence_store.py",
    "limits/store.py",
    "safety/store.py",
    "safety/requests.py",
    "moderation/reports.py",
)
# DynamoDB's attribute-value type descriptors.
ATTRIBUTE_TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})
BOTOCORE_ERRORS = frozenset({"ClientError", "BotoCoreError"})


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(LAYER.parent).with_suffix("").parts)


def data_files(layer: Path) -> set[Path]:
    return {path for pattern in DATA_MODULES for path in layer.glob(pattern)}


def logic_files(layer: Path) -> list[Path]:
    data = data_files(layer)
    return sorted(path for path in layer.rglob("*.py") if path not in data and "__pycache__" not in path.parts)


def storage_shapes(path: Path) -> list[str]:
    """Where a module handles storage's own shapes: ``line: what``, in line order."""
    found = sorted(_storage_shapes(ast.parse(path.read_text(), filename=str(path))), key=lambda hit: hit[0])
    return [f"{line}: {what}" for line, what in found]


def _storage_shapes(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Subscript) and _attribute_type(node.slice):
            yield line, f"indexes an attribute value [{ast.unparse(node.slice)}]"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"get", "pop", "setdefault"}
            and node.args
            and _attribute_type(node.args[0])
        ):
            yield line, f"reads an attribute value .{node.func.attr}({ast.unparse(node.args[0])})"
        elif isinstance(node, ast.Dict) and any(key is not None and _attribute_type(key) for key in node.keys):
            yield line, f"builds an attribute value {ast.unparse(node)[:40]}"
        elif _imports_botocore(node):
            yield line, "imports botocore"
        elif isinstance(node, ast.Name) and node.id in BOTOCORE_ERRORS:
            yield line, f"names botocore's {node.id}"
        elif isinstance(node, ast.Attribute) and node.attr in BOTOCORE_ERRORS:
            yield line, f"names botocore's {node.attr}"


def _attribute_type(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value in ATTRIBUTE_TYPES


def _imports_botocore(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(_is_botocore(alias.name) for alias in node.names)
    return isinstance(node, ast.ImportFrom) and node.level == 0 and _is_botocore(node.module or "")


def _is_botocore(module: str) -> bool:
    return module == "botocore" or module.startswith("botocore.")


def test_the_data_modules_exist() -> None:
    # A pattern that matches nothing (a moved module) would silently make its successor "logic" or, worse, not
    # what the list says.
    assert [pattern for pattern in DATA_MODULES if not list(LAYER.glob(pattern))] == []


@pytest.mark.parametrize("path", logic_files(LAYER), ids=lambda path: str(path.relative_to(LAYER)))
def test_logic_never_handles_storage_shapes(path: Path) -> None:
    assert storage_shapes(path) == [], f"{path.relative_to(LAYER)} handles storage: move it to a data module"


def test_the_source_check_sees_every_shape(tmp_path: Path) -> None:
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "aws.py").write_text("from botocore.exceptions import ClientError\n")
    (tmp_path / "service.py").write_text(
        "import botocore.session\n"
        "from botocore.exceptions import BotoCoreError\n"
        "other = item['user_uuid']['S']\n"
        "count = int(item.get('unread_count', {}).get('N', '0'))\n"
        "key = {'pk': {'S': owner}}\n"
        "try:\n    pass\nexcept (ClientError, exceptions.BotoCoreError):\n    pass\n"
        "fine = {'user_uuid': owner, 'S_count': 1}['user_uuid']\n"
    )
    logic = logic_files(tmp_path)
    assert [path.name for path in logic] == ["service.py"]  # core/aws.py is a data module
    assert storage_shapes(logic[0]) == [
        "1: imports botocore",
        "2: imports botocore",
        "3: indexes an attribute value ['S']",
        "4: reads an attribute value .get('N')",
        "5: builds an attribute value {'S': owner}",
        "8: names botocore's ClientError",
        "8: names botocore's BotoCoreError",
    ]


# From the running code: what a logic module calls in a data module, and the types it exchanges.

SCALARS: tuple[type, ...] = (str, int, float, bool, bytes, type(None))


def data_functions_called_by_logic() -> dict[str, Callable[..., object]]:
    """``module.function`` of every data-module function a logic module imports or reaches as ``module.f``."""
    data_modules = {module_name(path) for path in data_files(LAYER)}
    found: dict[str, Callable[..., object]] = {}
    for path in logic_files(LAYER):
        tree = ast.parse(path.read_text(), filename=str(path))
        aliases: dict[str, str] = {}  # local name -> data module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    if f"{node.module}.{alias.name}" in data_modules:
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                    elif node.module in data_modules:
                        _add(found, node.module, alias.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                _add(found, aliases[node.value.id], node.attr)
    return found


def _add(found: dict[str, Callable[..., object]], module: str, name: str) -> None:
    value = getattr(importlib.import_module(module), name)
    if inspect.isfunction(value):
        found[f"{module}.{name}"] = value


def untyped_parts(hint: object) -> list[str]:
    """What in a type hint would let a raw item through: ``Any``, a dict of dicts, an untyped container."""
    if isinstance(hint, typing.TypeAliasType):
        hint = hint.__value__
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    parts: list[str] = []
    if hint is typing.Any:
        parts = ["Any"]
    elif _is_typed_leaf(hint) or origin is typing.Literal:
        parts = []
    elif origin is dict and (typing.get_origin(args[1]) is dict or args[1] is typing.Any):
        parts = [f"dict[{args[0].__name__}, {args[1]}]: an item's shape"]
    elif origin in (typing.Union, types.UnionType, list, tuple, set, frozenset, dict) or _is_struct(origin):
        parts = [part for arg in args if arg is not Ellipsis for part in untyped_parts(arg)]
        if not args:
            parts = [f"bare {hint!r}"]
    else:
        parts = [f"{hint!r}"]
    return parts


def _is_typed_leaf(hint: object) -> bool:
    return isinstance(hint, type) and (issubclass(hint, (msgspec.Struct, Enum, BaseException)) or hint in SCALARS)


def _is_struct(origin: object) -> bool:
    return isinstance(origin, type) and issubclass(origin, msgspec.Struct)


def test_the_boundary_functions_are_found() -> None:
    # The read marker's and pattern E's way into the unread store, and push's into the connections table.
    assert {
        "messaging.unread.store.show_batch",
        "messaging.unread.store.mark_newest_read",
        "messaging.unread.store.write_settled",
        "messaging.unread.store.count_messages_from",
        "messaging.realtime.connections.connections_of",
        "messaging.conversations.groups.other_member",
    } <= set(data_functions_called_by_logic())


@pytest.mark.parametrize("name", sorted(data_functions_called_by_logic()))
def test_what_logic_calls_in_a_data_module_is_typed(name: str) -> None:
    function = data_functions_called_by_logic()[name]
    hints = typing.get_type_hints(function)
    assert "return" in hints, f"{name} has no return type"
    assert untyped_parts(hints["return"]) == [], f"{name} hands logic an untyped value: return typed state instead"


def test_the_type_check_refuses_an_item() -> None:
    def leaky() -> dict[str, dict[str, str]] | None:
        return None

    def raw() -> tuple[dict[str, typing.Any], int]:
        return {}, 0

    assert untyped_parts(typing.get_type_hints(leaky)["return"]) == ["dict[str, dict[str, str]]: an item's shape"]
    assert untyped_parts(typing.get_type_hints(raw)["return"]) == ["dict[str, typing.Any]: an item's shape"]
    assert untyped_parts(list[str] | None) == []
    assert untyped_parts(typing.Any) == ["Any"]
