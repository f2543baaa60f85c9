"""The WebSocket contract is checked, not trusted: docs/architecture.md's table of what a WebSocket client can
receive (refused upgrades, error frames, close codes) is exactly what the code can send, both ways.

Nothing here lists codes by hand; each set is read from the code:

- the codes a route's function can raise, by the analysis of tests/unit/test_api_contract.py (its handler's
  modules, followed by name from its ``app.py``), with the statuses the one error table gives them; plus what
  the WebSocket edge answers for errors the code names no class of (a bug, a busy AWS call), asked of the edge;
- which function serves which route, and which routes send their answer back as a frame, from template.yaml;
- the gateway's own refusals of an upgrade and the close codes it sends, from ``local/websocket/gateway.py``
  (the local stack plays API Gateway's part), plus the two websockets sends by itself, each with its reason.
"""

import ast
import inspect
import json
from functools import cache
from http import HTTPStatus
from typing import Any

from botocore.exceptions import ClientError
from websockets.frames import CloseCode

from local.websocket import gateway
from local.websocket.api import WebSocketApi, websocket_api
from messaging.realtime.routes import WEBSOCKET_ROUTE
from tests.unit.test_api_contract import answer_of, raisable_by
from tooling.paths import PROJECT_ROOT
from tooling.template import Template

ARCHITECTURE = PROJECT_ROOT / "docs" / "architecture.md"
SECTION = "## WebSocket: what a client can receive"
NO_CODE = "—"  # the gateway's own answer: no code of ours

# Calls of gateway.py that close a client's socket: a close code among their arguments is sent.
CLOSING_CALLS = frozenset({"_close_within", "_close", "_on_loop"})
# Close codes websockets sends by itself, which gateway.py never names, and what makes it send them.
LIBRARY_CLOSES: dict[int, str] = {
    CloseCode.MESSAGE_TOO_BIG: "max_size",  # past serve()'s max_size (API Gateway's 128 KB message, 32 KB frame)
    CloseCode.INVALID_DATA: "",  # text that is not UTF-8: RFC 6455 requires it, websockets always does it
}


@cache
def api() -> WebSocketApi:
    return websocket_api(Template())


# --- what the document says ------------------------------------------------------------------------------------


def documented_rows() -> list[tuple[str, str, str]]:
    """The table's rows as (arrives as, status or close code, error code or NO_CODE or "")."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert SECTION in text, f"docs/architecture.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] in {"upgrade", "frame", "close"}:
            rows.append((cells[0], cells[1], cells[2].strip("`")))
    return rows


def documented(kind: str) -> set[tuple[str, str]]:
    return {(status, code) for arrives_as, status, code in documented_rows() if arrives_as == kind}


# --- what the code can send ------------------------------------------------------------------------------------


@cache
def edge_codes() -> frozenset[str]:
    """What the WebSocket routes' edge answers for an error no class of ours names: a bug, a busy AWS call."""
    throttled: Any = {"Error": {"Code": "ThrottlingException"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    busy = ClientError(throttled, "Query")
    assert WEBSOCKET_ROUTE.answer_error is not None
    answers = [WEBSOCKET_ROUTE.answer_error(error) for error in (RuntimeError("a bug"), busy)]
    return frozenset(json.loads(answer["body"])["error"] for answer in answers)


def codes_of(route_key: str) -> set[str]:
    return set(raisable_by(api().routes[route_key].function)) | edge_codes()


def gateway_tree() -> ast.Module:
    return ast.parse(inspect.getsource(gateway))


def _callee(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")


def gateway_refusals() -> set[int]:
    """The statuses the gateway itself refuses an upgrade with (``_refusal(websocket, HTTPStatus.X, ...)``); not
    the one that hands on $connect's own status."""
    return {
        int(HTTPStatus[argument.attr])
        for node in ast.walk(gateway_tree())
        if isinstance(node, ast.Call) and _callee(node) == "_refusal"
        for argument in node.args
        if isinstance(argument, ast.Attribute) and isinstance(argument.value, ast.Name)
        if argument.value.id == "HTTPStatus"
    }


def sent_close_codes() -> set[int]:
    """The close codes the gateway sends (named in a closing call), and those websockets sends for it."""
    tree = gateway_tree()
    named = {
        int(CloseCode[argument.attr])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _callee(node) in CLOSING_CALLS
        for argument in node.args
        if isinstance(argument, ast.Attribute) and isinstance(argument.value, ast.Name)
        if argument.value.id == "CloseCode"
    }
    keywords = {
        keyword.arg for node in ast.walk(tree) if isinstance(node, ast.Call) for keyword in node.keywords if keyword.arg
    }
    return named | {code for code, cause in LIBRARY_CLOSES.items() if not cause or cause in keywords}


# --- the checks ------------------------------------------------------------------------------------------------


def test_the_routes_the_table_covers_are_the_template_s() -> None:
    routes = api().routes
    assert routes["$connect"].authorizer is not None  # the upgrade's 401s are the authorizer's
    two_way = sorted(key for key, route in routes.items() if route.two_way)
    assert two_way == ["$default", "typing"], "a new two-way route sends frames the table must cover"


def test_an_upgrade_is_refused_with_exactly_the_documented_statuses_and_codes() -> None:
    connect = {(str(answer_of(code)[0]), code) for code in codes_of("$connect")}
    own = {(str(status), NO_CODE) for status in gateway_refusals()}
    assert all(not 200 <= int(status) < 300 for status, _ in connect)  # each refuses the upgrade
    assert documented("upgrade") == connect | own, "the table's upgrade rows (left) against the code's (right)"


def test_error_frames_carry_exactly_the_documented_codes() -> None:
    frames = {("", code) for route in ("$default", "typing") for code in codes_of(route)}
    assert documented("frame") == frames, "the table's error frames (left) against what the routes can raise (right)"


def test_the_documented_close_codes_are_those_the_gateway_sends() -> None:
    sent = {(str(code), "") for code in sent_close_codes()}
    assert documented("close") == sent, "the table's close codes (left) against those the gateway sends (right)"


def test_the_analysis_reads_the_gateway_as_it_is() -> None:
    # The refusals and closes the e2e tests meet (tests/e2e/test_realtime.py: 1009; test_limits.py: 1000).
    assert {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN} <= gateway_refusals()
    assert {CloseCode.NORMAL_CLOSURE, CloseCode.MESSAGE_TOO_BIG} <= sent_close_codes()
    assert CloseCode.ABNORMAL_CLOSURE not in sent_close_codes()  # what $disconnect reports, never sent
