"""The API contract is checked, not trusted: docs/openapi.yaml lists, per route and status, exactly the error codes
the service can answer with, and every code it lists exists with that status.

What a route can raise is read from its code, not from this file alone. ROUTE_ERRORS below is the reviewed list;
two checks keep it honest:

- each HTTP function's handler is imported in a fresh interpreter (as tests/unit/test_cold_imports.py does), with
  the layer's lazy imports (``import`` inside a function) followed too, which lists the modules it can run;
- from its ``app.py``, every function, method, class and module-level name those modules define is followed by
  name, and every error class of ``messaging.core.errors`` named on the way (outside an ``except`` clause) counts
  as raisable. Following by name over-approximates (two functions called ``mark_read`` are both followed), so a
  route's list must hold every code found, less the EXEMPT ones, each with the reason it cannot happen; and it
  may hold nothing that is not found, since no route answers with a code its code never names.

The statuses come from the one error table (``messaging.api.error_table.error_response``), never from here.
"""

import ast
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from messaging.api import models
from messaging.api.error_table import error_response
from messaging.core import errors
from tests.unit.test_cold_imports import FUNCTIONS, lambda_path, run_as_lambda
from tooling.paths import PROJECT_ROOT

OPENAPI = PROJECT_ROOT / "docs" / "openapi.yaml"
README = PROJECT_ROOT / "README.md"
DOCUMENT: dict[str, Any] = yaml.load(OPENAPI.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)

A = "GET /api/messages/{message_group_uuid}"
B = "GET /api/message_groups"
C = "POST /api/messages"
D = "POST /api/message_groups"
READ = "PUT /api/message_groups/{message_group_uuid}/read"
EDIT = "PATCH /api/messages/{message_group_uuid}/{message_uuid}"
DELETE = "DELETE /api/messages/{message_group_uuid}/{message_uuid}"
BLOCK = "PUT /api/blocks/{handle}"
UNBLOCK = "DELETE /api/blocks/{handle}"
BLOCKS = "GET /api/blocks"
SETTINGS = "GET /api/settings"
PUT_SETTINGS = "PUT /api/settings"
MUTE = "PUT /api/message_groups/{message_group_uuid}/mute"
ACCEPT = "PUT /api/message_groups/{message_group_uuid}/accept"
REPORT = "POST /api/messages/{message_group_uuid}/{message_uuid}/report"

# The reviewed list: what each route's own code can answer, by status.
ROUTE_ERRORS: dict[str, dict[int, set[str]]] = {
    A: {
        400: {"invalid_cursor"},
        403: {"not_a_member", "user_not_registered"},
        422: {"validation_error"},
    },
    B: {
        400: {"invalid_cursor"},
        403: {"user_not_registered"},
        422: {"validation_error"},
    },
    C: {
        400: {"invalid_json"},
        403: {"not_a_member", "user_not_registered", "blocked", "awaiting_acceptance"},
        409: {"request_in_progress", "conversation_full"},
        413: {"payload_too_large"},
        422: {"validation_error", "idempotency_key_reused"},
        429: {"rate_limited"},
    },
    D: {
        400: {"invalid_json"},
        403: {"user_not_registered", "blocked", "not_accepting_messages", "awaiting_acceptance"},
        404: {"user_not_found"},
        409: {"request_in_progress", "conversation_full", "conversation_list_full"},
        413: {"payload_too_large"},
        422: {"validation_error", "cannot_message_self", "idempotency_key_reused"},
        429: {"rate_limited"},
    },
    READ: {
        400: {"invalid_json"},
        403: {"not_a_member", "user_not_registered"},
        409: {"conversation_list_full"},
        413: {"payload_too_large"},
        422: {"validation_error", "message_not_in_group"},
        429: {"rate_limited"},
    },
    EDIT: {
        400: {"invalid_json"},
        403: {"not_a_member", "not_the_sender", "user_not_registered"},
        404: {"message_not_found"},
        409: {"message_deleted", "conversation_full"},
        413: {"payload_too_large"},
        422: {"validation_error", "edit_window_closed"},
        429: {"rate_limited"},
    },
    DELETE: {
        403: {"not_a_member", "not_the_sender", "user_not_registered"},
        404: {"message_not_found"},
        422: {"validation_error"},
        429: {"rate_limited"},
    },
    BLOCK: {
        403: {"user_not_registered"},
        404: {"user_not_found"},
        422: {"validation_error", "cannot_block_self"},
        429: {"rate_limited"},
    },
    UNBLOCK: {
        403: {"user_not_registered"},
        404: {"user_not_found"},
        422: {"validation_error", "cannot_block_self"},
        429: {"rate_limited"},
    },
    BLOCKS: {
        400: {"invalid_cursor"},
        403: {"user_not_registered"},
        422: {"validation_error"},
    },
    SETTINGS: {403: {"user_not_registered"}},
    PUT_SETTINGS: {
        400: {"invalid_json"},
        403: {"user_not_registered"},
        413: {"payload_too_large"},
        422: {"validation_error"},
        429: {"rate_limited"},
    },
    MUTE: {
        400: {"invalid_json"},
        403: {"not_a_member", "user_not_registered"},
        413: {"payload_too_large"},
        422: {"validation_error"},
        429: {"rate_limited"},
    },
    ACCEPT: {
        403: {"not_a_member", "user_not_registered"},
        422: {"validation_error"},
        429: {"rate_limited"},
    },
    REPORT: {
        400: {"invalid_json"},
        403: {"not_a_member", "user_not_registered"},
        404: {"message_not_found"},
        409: {"already_reported"},
        413: {"payload_too_large"},
        422: {"validation_error"},
        429: {"rate_limited"},
    },
}
# What every route can answer, from the edge every handler shares (messaging.api.handler and the error table): a
# caller without an access token's claims, a store that is down or throttling, and a fault of ours.
EVERY_ROUTE: dict[int, set[str]] = {401: {"unauthorized"}, 500: {"internal_error"}, 503: {"service_unavailable"}}
# API Gateway's own answers on every route, `{"message": ...}`: its JWT authorizer, its throttling, and a function
# that fails outright.
GATEWAY = {401: "Unauthorized", 429: "Too Many Requests", 500: "Internal Server Error"}
# Codes the analysis finds that a route cannot answer with, and why.
EXEMPT: dict[str, dict[str, str]] = {
    DELETE: {
        "conversation_full": "a deletion removes the text: the item only shrinks, so its collection cannot fill",
    },
    EDIT: {},
    ACCEPT: {
        "conversation_full": "accepting without a reply only removes attributes from three items: none can grow",
    },
    READ: {
        "message_group_item_missing": "the read marker recounts (settle) a group item mark_read has just read, and "
        "group items are never deleted; mark_read itself answers a missing item as not_a_member",
    },
}

# Modules that name every error without raising any: their definitions and the one table that maps them.
NOT_FOLLOWED = frozenset({"messaging.core.errors", "messaging.api.error_table"})
# Methods that run without their name appearing at the call site.
IMPLICIT_METHODS = frozenset({"__init__", "__post_init__", "__call__", "__enter__", "__exit__", "__iter__", "__next__"})


def _subclasses(cls: type[errors.MessagingError]) -> Iterator[type[errors.MessagingError]]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


ERROR_CLASSES: dict[str, type[errors.MessagingError]] = {
    cls.__name__: cls for cls in _subclasses(errors.MessagingError)
}


def answer_of(code: str) -> tuple[int, dict[str, str]]:
    """The status and headers the error table gives a code."""
    if code == "internal_error":
        response = error_response(RuntimeError("a bug"))
    else:
        (cls,) = [cls for cls in ERROR_CLASSES.values() if cls.code == code]
        response = error_response(cls("why"))
    assert response.body["error"] == code
    return response.status, response.headers


KNOWN_CODES = frozenset({cls.code for cls in ERROR_CLASSES.values()} | {"internal_error"})


# --- what the document says ------------------------------------------------------------------------------------


def _inlined(node: Any) -> Any:
    """The node with every local $ref replaced by what it names (the document has no cyclic ones)."""
    if isinstance(node, list):
        return [_inlined(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _inlined(target)
    return {key: _inlined(value) for key, value in node.items()}


def operations() -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": _inlined(operation)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
    }


def error_responses(route: str) -> dict[int, dict[str, Any]]:
    return {int(status): answer for status, answer in operations()[route]["responses"].items() if int(status) >= 400}


def accepts(response: Mapping[str, Any], body: object) -> bool:
    return bool(OAS30Validator(response["content"]["application/json"]["schema"]).is_valid(body))


def documented_codes(response: Mapping[str, Any]) -> set[str]:
    return {code for code in KNOWN_CODES if accepts(response, {"error": code, "message": "text"})}


def enumerated_codes(node: Any) -> Iterator[str]:
    """Every code the schema spells out (``properties.error.enum``), whether or not it exists."""
    if isinstance(node, list):
        for item in node:
            yield from enumerated_codes(item)
    elif isinstance(node, dict):
        yield from node.get("properties", {}).get("error", {}).get("enum", [])
        for value in node.values():
            yield from enumerated_codes(value)


def expected(route: str) -> dict[int, set[str]]:
    statuses = {**{status: set() for status in GATEWAY}, **{s: set(c) for s, c in EVERY_ROUTE.items()}}
    for status, codes in ROUTE_ERRORS[route].items():
        statuses.setdefault(status, set()).update(codes)
    return statuses


# --- what the code can raise -----------------------------------------------------------------------------------

_MODULES_OF_A_HANDLER = r"""
import ast, importlib, sys
sys.path[:0] = PATH
importlib.import_module(HANDLER)
def lazy_imports(module):
    tree = ast.parse(open(module.__file__, encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                    yield inner.module
                elif isinstance(inner, ast.Import):
                    yield from (alias.name for alias in inner.names)
listed = {}
while pending := [
    module for name, module in list(sys.modules.items())
    if name.partition(".")[0] == "messaging" and name not in listed and getattr(module, "__file__", None)
]:
    for module in pending:
        listed[module.__name__] = module.__file__
        for name in lazy_imports(module):
            if name.partition(".")[0] == "messaging":
                importlib.import_module(name)
print(json.dumps(listed))
"""


@cache
def handler_modules(logical_id: str) -> dict[str, Path]:
    """The layer's modules a function can run: what importing its handler loads, plus the lazy imports."""
    spec = FUNCTIONS[logical_id]
    handler = spec.handler.rsplit(".", 1)[0]
    program = f"import json\nPATH = {lambda_path(spec)!r}\nHANDLER = {handler!r}\n{_MODULES_OF_A_HANDLER}"
    result = run_as_lambda(spec, program)
    return {name: Path(file) for name, file in json.loads(result.stdout).items()}


def names_used(node: ast.AST) -> set[str]:
    """Names and attribute names a node uses; not annotations, nor the exception types of ``except`` clauses."""
    used: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.Name):
            used.add(current.id)
        elif isinstance(current, ast.Attribute):
            used.add(current.attr)
        for field, value in ast.iter_fields(current):
            if field in {"annotation", "returns"} or (isinstance(current, ast.ExceptHandler) and field == "type"):
                continue
            pending.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, ast.AST))
    return used


def definitions(modules: Iterable[ast.Module]) -> dict[str, list[ast.AST]]:
    """What each name can run: a function's or method's body, a class's bases, decorators, class-level statements
    and implicit methods, a module-level assignment's value."""
    defined: dict[str, list[ast.AST]] = {}
    for module in modules:
        for node in module.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                defined.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.ClassDef):
                parts: list[ast.AST] = [*node.bases, *node.decorator_list]
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name not in IMPLICIT_METHODS:
                        defined.setdefault(item.name, []).append(item)
                    else:
                        parts.append(item)
                defined.setdefault(node.name, []).extend(parts)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for name in (n for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)):
                    defined.setdefault(name.id, []).append(node.value)
    return defined


def raisable(entry: ast.AST, modules: Iterable[ast.Module], error_names: Mapping[str, str]) -> dict[str, list[str]]:
    """The codes of the error classes reachable by name from ``entry``, each with the chain of names that led
    to it (the error first)."""
    defined = definitions(modules)
    came_from: dict[str, str] = {}
    pending, seen = list(names_used(entry)), set[str]()
    found: dict[str, list[str]] = {}
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in error_names:
            chain = [name]
            while chain[-1] in came_from:
                chain.append(came_from[chain[-1]])
            found.setdefault(error_names[name], chain)
            continue
        for body in defined.get(name, []):
            for used in names_used(body) - seen:
                came_from.setdefault(used, name)
                pending.append(used)
    return found


def route_of(logical_id: str) -> str:
    (route,) = FUNCTIONS[logical_id].http_routes
    return route.route_key


HTTP_FUNCTIONS = sorted(logical_id for logical_id, spec in FUNCTIONS.items() if spec.http_routes)


@cache
def raisable_by(logical_id: str) -> dict[str, list[str]]:
    modules = [
        ast.parse(path.read_text(encoding="utf-8"))
        for name, path in handler_modules(logical_id).items()
        if name not in NOT_FOLLOWED
    ]
    app = ast.parse((FUNCTIONS[logical_id].code_dir / "app.py").read_text(encoding="utf-8"))
    return raisable(app, modules, {name: cls.code for name, cls in ERROR_CLASSES.items()})


# --- the checks ------------------------------------------------------------------------------------------------


def test_the_table_the_document_and_the_template_name_the_same_routes() -> None:
    assert sorted(ROUTE_ERRORS) == sorted(operations()) == sorted(map(route_of, HTTP_FUNCTIONS))


def test_every_code_of_the_table_exists_with_the_status_the_error_table_gives_it() -> None:
    wrong = {
        (route, status, code): answer_of(code)[0]
        for route in ROUTE_ERRORS
        for status, codes in expected(route).items()
        for code in codes
        if answer_of(code)[0] != status
    }
    assert not wrong, f"(route, status, code): the status the error table gives instead: {wrong}"


@pytest.mark.parametrize("route", sorted(ROUTE_ERRORS))
def test_the_document_gives_each_status_of_a_route_exactly_its_codes(route: str) -> None:
    documented = error_responses(route)
    assert sorted(documented) == sorted(expected(route))
    for status, response in documented.items():
        assert not accepts(response, {"error": "no_such_code", "message": "text"}), f"{status} must name its codes"
        spelled = set(enumerated_codes(response))
        assert spelled <= KNOWN_CODES, f"{route} {status} documents codes that do not exist: {spelled - KNOWN_CODES}"
        assert documented_codes(response) == expected(route)[status], f"{route} {status}"
        if status in GATEWAY:
            assert accepts(response, {"message": GATEWAY[status]}), f"{route} {status}: API Gateway's own answer"
        else:
            assert not accepts(response, {"message": "text"}), f"{route} {status} is never API Gateway's"


@pytest.mark.parametrize("route", sorted(ROUTE_ERRORS))
def test_the_document_declares_retry_after_where_the_service_sends_it(route: str) -> None:
    for status, response in error_responses(route).items():
        codes = expected(route)[status]
        with_header = {code for code in codes if "retry-after" in answer_of(code)[1]}
        header = {name.lower(): value for name, value in response.get("headers", {}).items()}.get("retry-after")
        assert (header is not None) == bool(with_header), f"{route} {status}: Retry-After with {with_header}"
        if header is not None:
            always = with_header == codes and status not in GATEWAY
            assert header.get("required", False) == always, f"{route} {status}: Retry-After required={always}"


@pytest.mark.parametrize("logical_id", HTTP_FUNCTIONS)
def test_a_route_lists_every_code_its_code_can_raise_and_no_other(logical_id: str) -> None:
    route = route_of(logical_id)
    found = raisable_by(logical_id)
    listed = set().union(*ROUTE_ERRORS[route].values(), *EVERY_ROUTE.values())
    exempt = EXEMPT.get(route, {})
    missing = {code: " <- ".join(chain) for code, chain in found.items() if code not in listed | set(exempt)}
    assert not missing, f"{route} can raise codes ROUTE_ERRORS does not list (error <- how it is reached): {missing}"
    never_raised = listed - set(found) - set().union(*EVERY_ROUTE.values())
    assert not never_raised, f"{route} lists codes its code never names: {never_raised}"
    stale = set(exempt) - set(found)
    assert not stale, f"{route}: EXEMPT names codes the route no longer reaches: {stale}"
    assert not set(exempt) & listed, f"{route}: a code is both listed and exempt"


def test_every_domain_error_has_a_status_in_the_one_table() -> None:
    for cls in ERROR_CLASSES.values():
        assert answer_of(cls.code)[0] in range(400, 600), cls


def test_the_analysis_follows_calls_by_name_and_ignores_what_only_catches() -> None:
    module = ast.parse(
        "def entry(x):\n    return x.helper()\n"
        "def helper():\n    try:\n        pass\n    except Caught:\n        raise Reached('x')\n"
        "def unused():\n    raise Unreached('x')\n"
    )
    entry = ast.parse("entry(1)")
    error_names = {"Reached": "reached", "Caught": "caught", "Unreached": "unreached"}
    assert raisable(entry, [module], error_names) == {"reached": ["Reached", "helper", "entry"]}


# --- the README's error list, and the document's schemas beside the models ------------------------------------


def test_the_readme_lists_every_code_with_its_status() -> None:
    section = README.read_text(encoding="utf-8").split("## Errors", 1)[1].split("\n## ", 1)[0]
    listed: dict[str, int] = {}
    status = None
    for token in re.finditer(r"\b(?P<status>[1-5][0-9]{2})\b|`(?P<code>[a-z][a-z0-9_]*)`", section):
        if token["status"]:
            status = int(token["status"])
        elif token["code"] in KNOWN_CODES and status is not None:
            listed[token["code"]] = status
    answered = {code: status for route in ROUTE_ERRORS for status, codes in expected(route).items() for code in codes}
    assert listed == answered


# Each schema of the document that a model of messaging.api.models validates or produces.
MODEL_SCHEMAS: dict[str, type[msgspec.Struct]] = {
    "Message": models.MessageView,
    "PostedMessage": models.PostedMessageView,
    "MessageGroup": models.MessageGroupView,
    "ReadMarker": models.ReadMarkerView,
    "MarkReadRequest": models.MarkReadRequest,
    "CreateMessageRequest": models.CreateMessageRequest,
    "CreateMessageGroupRequest": models.CreateMessageGroupRequest,
    "EditMessageRequest": models.EditMessageRequest,
    "Block": models.BlockView,
    "BlockedUser": models.BlockedUserView,
    "Settings": models.SettingsBody,
    "SettingsChange": models.SettingsChangeBody,
    "MuteRequest": models.MuteRequest,
    "Mute": models.MuteView,
    "Accepted": models.RequestView,
    "ReportMessageRequest": models.ReportMessageRequest,
    "Report": models.ReportView,
}


def _constraints(schema: Mapping[str, Any]) -> dict[str, Any]:
    """What a property's schema requires, without its words; a nullable property as its non-null form."""
    if "anyOf" in schema:
        (schema,) = [branch for branch in schema["anyOf"] if branch.get("type") != "null"]
    return {key: value for key, value in schema.items() if key not in {"description", "title", "default"}}


@pytest.mark.parametrize("name", sorted(MODEL_SCHEMAS))
def test_a_documented_body_has_its_model_s_fields_and_at_least_its_constraints(name: str) -> None:
    (generated,), components = msgspec.json.schema_components([MODEL_SCHEMAS[name]])
    model = components[generated["$ref"].rsplit("/", 1)[1]]
    documented = _inlined(DOCUMENT["components"]["schemas"][name])
    assert sorted(documented["properties"]) == sorted(model["properties"])
    assert sorted(documented.get("required", [])) == sorted(model.get("required", []))
    for field, schema in model["properties"].items():
        constraints = _constraints(schema)
        assert constraints.items() <= documented["properties"][field].items(), f"{name}.{field}"
    if name in {"Message", "PostedMessage", "MessageGroup", "ReadMarker"}:  # answers carry nothing else
        assert documented["additionalProperties"] is False


def test_the_page_parameters_are_the_page_model_s() -> None:
    (generated,), components = msgspec.json.schema_components([models.PageQuery])
    model = components[generated["$ref"].rsplit("/", 1)[1]]
    parameters = DOCUMENT["components"]["parameters"]
    assert sorted(model["properties"]) == sorted(name for name in parameters if parameters[name]["in"] == "query")
    for field, schema in model["properties"].items():
        documented = parameters[field]["schema"]
        assert _constraints(schema).items() <= documented.items(), field
        if "default" in schema and schema["default"] is not None:
            assert documented["default"] == schema["default"], field
