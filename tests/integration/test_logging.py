"""Structured JSON logs carry the request id, and never the text of a message."""

import io
import json
import uuid

from tests.api_client import ApiClient
from tests.conftest import SetEnvironment
from tests.integration.conftest import Conversation
from tests.integration.test_faults import fresh_connection
from tooling.ports import free_port


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


def test_a_line_logged_below_the_edge_carries_the_request_s_correlation_id(
    api: ApiClient, conversation: Conversation, log_output: io.StringIO, function_environment: SetEnvironment
) -> None:
    # PostgreSQL refuses connections: the profiles' module logs why, and that line belongs to the request too.
    # The stack's own URL comes back when the test ends; no connection is left open to the wrong one.
    function_environment(CONNECTION_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/cruddur")
    fresh_connection()
    assert api.get("/api/message_groups", conversation.starter).status == 503

    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    (warning,) = [entry for entry in lines if entry["message"] == "PostgreSQL unavailable"]
    (served,) = [entry for entry in lines if entry["message"] == "request served"]
    assert warning["correlation_id"] == served["correlation_id"]
    assert warning["correlation_id"]
    assert warning["function_request_id"] == served["function_request_id"]
