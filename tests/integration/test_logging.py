"""Structured JSON logs carry the request id, and never the text of a message."""

import io
import json
import uuid
from collections.abc import Iterator

import pytest

from messaging.core.observability import logger
from tests.api_client import ApiClient
from tests.integration.conftest import Conversation


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the functions log, as CloudWatch would receive it (the Powertools handler's stream)."""
    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)
    yield buffer
    logger.registered_handler.setStream(previous)


def test_logs_are_json_with_the_request_id_and_no_message_text(
    api: ApiClient, conversation: Conversation, log_output: io.StringIO
) -> None:
    secret = f"private words {uuid.uuid4().hex}"
    body = {"message_group_uuid": conversation.group_uuid}
    posted = api.post("/api/messages", conversation.starter, {**body, "message": secret})
    refused = api.post("/api/messages", conversation.starter, {**body, "message": secret + "x" * 1024})
    listed = api.get(f"/api/messages/{conversation.group_uuid}", conversation.other)
    assert (posted.status, refused.status, listed.status) == (201, 422, 200)

    output = log_output.getvalue()
    assert secret not in output
    served = [entry for entry in map(json.loads, output.splitlines()) if entry["message"] == "request served"]
    assert [entry["status"] for entry in served] == [201, 422, 200]
    assert all(entry["correlation_id"] and entry["function_request_id"] for entry in served)
