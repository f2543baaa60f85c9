"""Pattern E: stream records of new messages keep both members' group items showing the newest message."""

import json
import uuid
from collections import Counter

from local.stack import STREAM_FUNCTION, EmulatedStack
from local.streams.records import stream_batch
from tests.api_client import ApiClient
from tests.integration.conftest import Conversation
from tooling.streams import StreamReader

# The session's stack is shared, so its stream holds every test's writes (thousands of records by the end): one
# reader per stream for the session, which asks only for the records after the last one it has seen.
_readers: dict[tuple[str, str], StreamReader] = {}


def stream_arn(stack: EmulatedStack) -> str:
    table = stack.client("dynamodb").describe_table(TableName=stack.template.table_name("MessagesTable"))
    return table["Table"]["LatestStreamArn"]


def stream_reader(stack: EmulatedStack) -> StreamReader:
    """The session's reader of the messages table's stream (a new one if the table was made again)."""
    arn = stream_arn(stack)
    where = (stack.moto.url, arn)
    if where not in _readers:
        _readers[where] = StreamReader(stack.client("dynamodbstreams"), arn)
    return _readers[where]


def stream_records(stack: EmulatedStack) -> list[dict]:
    """Every record in the table's stream, as GetRecords returns them."""
    return stream_reader(stack).all_records()


def message_inserts(stack: EmulatedStack, group_uuid: str) -> list[dict]:
    return [
        r
        for r in stream_records(stack)
        if r["eventName"] == "INSERT" and r["dynamodb"]["Keys"]["pk"]["S"] == f"MSG#{group_uuid}"
    ]


def apply(stack: EmulatedStack, records: list[dict]) -> list[str]:
    """Runs the stream function on one batch; returns the sequence numbers it reports failed."""
    response = stack.functions.invoke(STREAM_FUNCTION, stream_batch(records, stream_arn(stack)))
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def shown(api: ApiClient, conversation: Conversation) -> set[tuple[str, str]]:
    """What each member's conversation list shows as the last message of this conversation."""
    result = set()
    for member in (conversation.starter, conversation.other):
        (group,) = [g for g in api.get("/api/message_groups", member).body if g["uuid"] == conversation.group_uuid]
        result.add((group["message"], group["created_at"]))
    return result


def post(api: ApiClient, conversation: Conversation, text: str) -> dict:
    body = {"message_group_uuid": conversation.group_uuid, "message": text}
    response = api.post("/api/messages", conversation.starter, body)
    assert response.status == 201
    return response.body


def parked_counts(stack: EmulatedStack) -> dict[str, int]:
    """How many records each consumer has parked so far. Each poller keeps its own list, and the session's stack
    is shared, so a test counts from here rather than assuming no other test parked anything."""
    return {poller.function_id: len(poller.dead_letters) for poller in stack.stream.pollers}


def parked_since(stack: EmulatedStack, counts: dict[str, int]) -> dict[str, list[dict]]:
    """The records each consumer parked after ``counts`` was taken."""
    return {poller.function_id: poller.dead_letters[counts[poller.function_id] :] for poller in stack.stream.pollers}


def failure_notices(stack: EmulatedStack, queue_url: str) -> list[dict]:
    """Every notice visible in an on-failure queue, which the session's other tests may have sent to as well:
    callers pick theirs by sequence number."""
    notices = []
    while messages := stack.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        notices += [json.loads(m["Body"]) for m in messages]
    return notices


def notices_of(notices: list[dict], record: dict) -> list[dict]:
    sequence = record["dynamodb"]["SequenceNumber"]
    return [n for n in notices if n["DDBStreamBatchInfo"]["startSequenceNumber"] == sequence]


def put_orphan_message(stack: EmulatedStack, conversation: Conversation, text: str) -> str:
    """Writes a message into a new group whose member items were never written; returns the group."""
    orphan = str(uuid.uuid4())
    created_at = "2030-01-01T00:00:00.000000+00:00"
    sender = conversation.starter
    stack.client("dynamodb").put_item(
        TableName=stack.template.table_name("MessagesTable"),
        Item={
            "pk": {"S": f"MSG#{orphan}"},
            "sk": {"S": f"{created_at}#{uuid.uuid4()}"},
            "message_uuid": {"S": str(uuid.uuid4())},
            "message": {"S": text},
            "created_at": {"S": created_at},
            "user_uuid": {"S": sender.uuid},
            "user_display_name": {"S": sender.display_name},
            "user_handle": {"S": sender.handle},
            "recipient_uuid": {"S": conversation.other.uuid},
        },
    )
    return orphan


def test_both_members_see_the_newest_message(api: ApiClient, stack: EmulatedStack, conversation: Conversation) -> None:
    post(api, conversation, "older")
    newest = post(api, conversation, "newest")
    assert apply(stack, message_inserts(stack, conversation.group_uuid)) == []
    assert shown(api, conversation) == {("newest", newest["created_at"])}


def test_redelivery_and_out_of_order_delivery_leave_the_newest(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    post(api, conversation, "older")
    newest = post(api, conversation, "newest")
    first, older, latest = message_inserts(stack, conversation.group_uuid)

    assert apply(stack, [latest]) == []
    assert apply(stack, [latest]) == []  # a duplicate
    assert apply(stack, [older]) == []  # an older record after a newer one
    assert apply(stack, [latest, older, first]) == []  # a batch out of order
    assert shown(api, conversation) == {("newest", newest["created_at"])}


def test_a_burst_costs_one_update_per_member_and_no_read(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, dynamodb_calls: Counter
) -> None:
    for i in range(10):
        post(api, conversation, f"burst {i}")
    records = message_inserts(stack, conversation.group_uuid)
    dynamodb_calls.clear()

    assert apply(stack, records) == []
    assert dynamodb_calls == Counter({"UpdateItem": 2})
    assert {text for text, _ in shown(api, conversation)} == {"burst 9"}


def test_a_message_whose_group_items_are_missing_is_a_failed_record_found_without_a_read(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, dynamodb_calls: Counter
) -> None:
    orphan = put_orphan_message(stack, conversation, "lost?")
    newest = post(api, conversation, "fine")
    (orphan_record,) = message_inserts(stack, orphan)
    healthy = message_inserts(stack, conversation.group_uuid)[-1]
    dynamodb_calls.clear()

    failed = apply(stack, [orphan_record, healthy])
    assert set(dynamodb_calls) == {"UpdateItem"}  # the failed condition's returned item tells missing from stale
    assert failed == [orphan_record["dynamodb"]["SequenceNumber"]]
    assert shown(api, conversation) == {("fine", newest["created_at"])}


def test_a_missing_recipient_item_fails_the_record_even_when_the_sender_s_exists(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    message = post(api, conversation, "half there")
    stack.client("dynamodb").delete_item(
        TableName=stack.template.table_name("MessagesTable"),
        Key={"pk": {"S": f"GRP#{conversation.other.uuid}"}, "sk": {"S": f"GRP#{conversation.group_uuid}"}},
    )
    (record,) = [
        r
        for r in message_inserts(stack, conversation.group_uuid)
        if message["uuid"] in r["dynamodb"]["Keys"]["sk"]["S"]
    ]

    assert apply(stack, [record]) == [record["dynamodb"]["SequenceNumber"]]
    (mine,) = [
        g for g in api.get("/api/message_groups", conversation.starter).body if g["uuid"] == conversation.group_uuid
    ]
    assert mine["message"] == "half there"  # the sender's item is updated; the retry finds it up to date


def test_records_that_are_not_message_inserts_change_nothing(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    post(api, conversation, "latest")
    stack.stream.drain()
    before = shown(api, conversation)
    group_changes = [
        r
        for r in stream_records(stack)
        if r["eventName"] == "MODIFY" and r["dynamodb"]["Keys"]["sk"]["S"] == f"GRP#{conversation.group_uuid}"
    ]
    assert group_changes  # pattern E's own updates are in the stream...

    assert apply(stack, group_changes) == []  # ...and applying them is a no-op, not an error
    assert shown(api, conversation) == before


# A message INSERT whose image has only its keys: no message fields.
MALFORMED_MESSAGE_RECORD = {
    "eventID": "1",
    "eventName": "INSERT",
    "dynamodb": {
        "Keys": {"pk": {"S": "MSG#x"}, "sk": {"S": "2030#y"}},
        "NewImage": {"pk": {"S": "MSG#x"}, "sk": {"S": "2030#y"}},
        "SequenceNumber": "42",
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    },
}


def test_a_message_record_without_message_fields_is_failed(stack: EmulatedStack) -> None:
    record = MALFORMED_MESSAGE_RECORD
    assert apply(stack, [record]) == ["42"]


def test_the_poller_parks_a_poison_record_and_later_records_still_flow(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    stack.stream.drain()
    parked = parked_counts(stack)
    orphan = put_orphan_message(stack, conversation, "poison")
    after = post(api, conversation, "after the poison")

    stack.stream.drain()

    new = parked_since(stack, parked)
    (dead,) = new.pop(STREAM_FUNCTION)
    assert dead["dynamodb"]["Keys"]["pk"]["S"] == f"MSG#{orphan}"
    assert all(records == [] for records in new.values())  # no other consumer parked a record of this test
    (info,) = notices_of(failure_notices(stack, stack.dead_letter_queue_url), dead)
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["requestContext"]["approximateInvokeCount"] == 6  # the first attempt and MaximumRetryAttempts (5)
    assert info["DDBStreamBatchInfo"]["startSequenceNumber"] == dead["dynamodb"]["SequenceNumber"]
    shards = stack.client("dynamodbstreams").describe_stream(StreamArn=stream_arn(stack))["StreamDescription"]["Shards"]
    assert info["DDBStreamBatchInfo"]["shardId"] in {shard["ShardId"] for shard in shards}
    assert shown(api, conversation) == {("after the poison", after["created_at"])}


def group_entry(api: ApiClient, member, conversation: Conversation) -> dict:
    """The member's conversation list entry for this conversation."""
    (entry,) = [g for g in api.get("/api/message_groups", member).body if g["uuid"] == conversation.group_uuid]
    return entry


def test_a_sender_whose_item_is_missing_does_not_hold_back_the_recipient_and_the_retry_is_exact(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, dynamodb_calls: Counter
) -> None:
    # The sender is the first member pattern E applies a message to: its failure must not skip the recipient.
    stack.stream.drain()
    table = stack.template.table_name("MessagesTable")
    sender_key = {"pk": {"S": f"GRP#{conversation.starter.uuid}"}, "sk": {"S": f"GRP#{conversation.group_uuid}"}}
    message = post(api, conversation, "while the sender's item is gone")
    sender_item = stack.client("dynamodb").get_item(TableName=table, Key=sender_key, ConsistentRead=True)["Item"]
    stack.client("dynamodb").delete_item(TableName=table, Key=sender_key)
    (record,) = [
        r
        for r in message_inserts(stack, conversation.group_uuid)
        if message["uuid"] in r["dynamodb"]["Keys"]["sk"]["S"]
    ]

    assert apply(stack, [record]) == [record["dynamodb"]["SequenceNumber"]]  # failed, so the stream retries it
    theirs = group_entry(api, conversation.other, conversation)
    assert (theirs["message"], theirs["unread_count"]) == ("while the sender's item is gone", 2)

    stack.client("dynamodb").put_item(TableName=table, Item=sender_item)  # repaired
    dynamodb_calls.clear()
    assert apply(stack, [record]) == []
    # The sender's item is updated in one write; the recipient's meets its record again as a duplicate, which its
    # condition detects: recounted from the table (one Query) and, being exact already, not written.
    assert dynamodb_calls == Counter({"UpdateItem": 2, "Query": 1})
    mine, theirs = (
        group_entry(api, conversation.starter, conversation),
        group_entry(api, conversation.other, conversation),
    )
    assert (mine["message"], mine["unread_count"]) == ("while the sender's item is gone", 0)
    assert (theirs["message"], theirs["unread_count"]) == ("while the sender's item is gone", 2)
