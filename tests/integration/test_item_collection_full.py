"""A full item collection (DynamoDB's 10 GB per partition key of a table with a local secondary index) is a clear
409 the client can show, never a 500 or a 503 to retry, and nothing is stored half-way; in pattern E it affects
only the member whose partition is full and never blocks the stream.

moto does not fill 10 GB: DynamoDB's own answer is made at the HTTP layer (``FaultyService``), so botocore parses
it, and would retry it, exactly as a real one."""

import io
import json

import pytest

from local.stack import EmulatedStack
from tests.api_client import ApiClient, ApiResponse
from tests.integration.conftest import Conversation
from tests.integration.test_faults import (  # noqa: F401 - faulty: a fixture
    FaultyService,
    faulty,
    item_count,
    json_error,
    on_table,
)
from tests.integration.test_message_stream import apply, group_entry, message_inserts, post
from tests.integration.test_unread import mark_read

JSON = "application/x-amz-json-1.0"
COLLECTION_FULL = json_error(
    "ItemCollectionSizeLimitExceededException", "Item collection size limit exceeded for the partition key"
)
CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons"


def transaction_cancelled(reasons: list[str]) -> bytes:
    """TransactWriteItems' answer when one of its items would grow a full collection, reasons in item order."""
    return json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": f"{CANCELLED} [{', '.join(reasons)}]",
            "CancellationReasons": [{"Code": code} for code in reasons],
        }
    ).encode()


def assert_full(response: ApiResponse, code: str) -> None:
    assert (response.status, response.error) == (409, code), response.body
    assert set(response.body) == {"error", "message"}
    assert "retry-after" not in response.headers  # no retry makes room


def messages_table(stack: EmulatedStack):
    return on_table(stack.template.table_name("MessagesTable"))


def test_a_message_into_a_full_conversation_is_a_409_conversation_full(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    faulty: FaultyService,  # noqa: F811 - the imported fixture
) -> None:
    before = item_count(stack)
    faulty.answer("PutItem", 400, COLLECTION_FULL, content_type=JSON, where=messages_table(stack))

    body = {"message_group_uuid": conversation.group_uuid, "message": "one too many"}
    response = api.post("/api/messages", conversation.starter, body)
    assert_full(response, "conversation_full")
    assert "storage limit" in response.body["message"]
    assert faulty.sends["PutItem"] == 1  # not retried: it is not "busy"
    assert item_count(stack) == before

    # Through pattern D, where the pair's conversation already exists, the answer is the same.
    start = {"handle": conversation.other.handle, "message": "one too many"}
    assert_full(api.post("/api/message_groups", conversation.starter, start), "conversation_full")
    assert item_count(stack) == before


@pytest.mark.parametrize(
    ("full_member", "says"),
    [("starter", "You have reached the limit of conversations"), ("other", "This user has reached the limit")],
)
def test_a_new_conversation_a_member_s_full_list_refuses_is_a_409_and_stores_nothing(
    api: ApiClient,
    stack: EmulatedStack,
    new_user,
    faulty: FaultyService,  # noqa: F811 - the imported fixture
    *,
    full_member: str,
    says: str,
) -> None:
    starter, other = new_user("Starter"), new_user("Other")
    before = item_count(stack)
    # The transaction's items: the pair, the starter's group item, the other's, the first message.
    reasons = ["None", "None", "None", "None"]
    reasons[{"starter": 1, "other": 2}[full_member]] = "ItemCollectionSizeLimitExceeded"
    faulty.answer("TransactWriteItems", 400, transaction_cancelled(reasons), content_type=JSON)

    response = api.post("/api/message_groups", starter, {"handle": other.handle, "message": "hello"})
    assert_full(response, "conversation_list_full")
    assert response.body["message"].startswith(says)
    assert faulty.sends["TransactWriteItems"] == 1  # not retried as a conflict would be
    assert item_count(stack) == before
    assert api.get("/api/message_groups", starter).body == []

    faulty.faults.clear()  # room again (in this emulator): the same request then starts the conversation
    assert api.post("/api/message_groups", starter, {"handle": other.handle, "message": "hello"}).status == 201


def test_a_read_marker_a_full_list_refuses_is_a_409_conversation_list_full(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    faulty: FaultyService,  # noqa: F811 - the imported fixture
) -> None:
    newest = post(api, conversation, "read me")
    stack.stream.drain()
    faulty.answer("UpdateItem", 400, COLLECTION_FULL, content_type=JSON, where=messages_table(stack))

    assert_full(mark_read(api, conversation.other, conversation.group_uuid, newest), "conversation_list_full")


def test_in_pattern_e_a_member_s_full_list_is_skipped_not_retried_and_the_other_member_is_updated(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    faulty: FaultyService,  # noqa: F811 - the imported fixture
    capsys: pytest.CaptureFixture[str],
    *,
    log_output: io.StringIO,
) -> None:
    stack.stream.drain()
    message = post(api, conversation, "the recipient's list is full")
    (record,) = [
        r
        for r in message_inserts(stack, conversation.group_uuid)
        if message["uuid"] in r["dynamodb"]["Keys"]["sk"]["S"]
    ]
    full = f"GRP#{conversation.other.uuid}"
    faulty.answer("UpdateItem", 400, COLLECTION_FULL, content_type=JSON, where=lambda p: p["Key"]["pk"]["S"] == full)
    capsys.readouterr()

    # Not reported failed: no retry makes room, and a record failed for good would hold the shard up through all
    # its retries. The member's item keeps its last preview; the sender's is updated.
    assert apply(stack, [record]) == []
    assert group_entry(api, conversation.starter, conversation)["message"] == "the recipient's list is full"
    assert group_entry(api, conversation.other, conversation)["message"] == "hello there"
    logged = [json.loads(line) for line in log_output.getvalue().splitlines()]
    (error,) = [e for e in logged if e["message"].startswith("member's item collection is full")]
    assert (error["level"], error["group"], error["member"]) == ("ERROR", conversation.group_uuid, full[4:])
    # The metric to alarm on, in CloudWatch's embedded metric format on the function's standard output.
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [m["MemberItemCollectionFull"] for m in emitted if "MemberItemCollectionFull" in m] == [[1.0]]
