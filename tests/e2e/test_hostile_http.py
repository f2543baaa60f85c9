"""Hostile input over real HTTP through the local gateway (issue 11, items 4 and 6): a 4xx, never a 5xx."""

import base64
import json

import pytest

from tests.dev_process import DevStack
from tooling.http_client import HttpResult, call
from tooling.seed import SEED_GROUP_UUID


@pytest.fixture(scope="module")
def token(dev_stack: DevStack) -> str:
    return dev_stack.token("andrewbrown")


def deep_cursor() -> str:
    return base64.urlsafe_b64encode(b"[" * 1500).rstrip(b"=").decode()


def assert_error(result: HttpResult, status: int, code: str) -> None:
    assert isinstance(result.body, dict), result.body
    assert (result.status, result.body.get("error")) == (status, code), result.body
    assert set(result.body) <= {"error", "message", "details"}


@pytest.mark.parametrize("path", [f"/api/messages/{SEED_GROUP_UUID}", "/api/message_groups"])
def test_a_deeply_nested_cursor_is_400(dev_stack: DevStack, token: str, path: str) -> None:
    assert_error(call("GET", f"{dev_stack.api_url}{path}?cursor={deep_cursor()}", token=token), 400, "invalid_cursor")


def message_body(extra: str, encoding: str = "utf-8") -> bytes:
    return ('{"message_group_uuid": "%s", "message": "never stored", "x": %s}' % (SEED_GROUP_UUID, extra)).encode(  # noqa: UP031
        encoding
    )


@pytest.mark.parametrize(
    "body",
    [
        message_body("[" * 5000 + "]" * 5000),
        message_body("NaN"),
        message_body("1e400"),
        message_body("9" * 5000),
        message_body("1", "utf-16"),
        message_body('"\\u00e9"').replace(b"\\u00e9", b"\xe9"),  # Latin-1, not UTF-8
    ],
    ids=["nesting", "NaN", "1e400", "5000 digits", "UTF-16", "Latin-1"],
)
def test_a_body_that_is_not_strict_utf8_json_is_400(dev_stack: DevStack, token: str, body: bytes) -> None:
    result = call("POST", f"{dev_stack.api_url}/api/messages", token=token, body=body)
    assert_error(result, 400, "invalid_json")


@pytest.mark.parametrize("text", ["\ufeff", "\u200b\u2060", "\x85"])
def test_a_blank_message_is_422(dev_stack: DevStack, token: str, text: str) -> None:
    body = json.dumps({"message_group_uuid": SEED_GROUP_UUID, "message": text}).encode()
    assert_error(call("POST", f"{dev_stack.api_url}/api/messages", token=token, body=body), 422, "validation_error")
