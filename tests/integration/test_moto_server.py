"""The local moto server stays flat in memory and its stream stays true across cancelled transactions.

moto rolls a cancelled TransactWriteItems back by swapping in a deep copy of the table; unpatched, every copy
was kept for good (megabytes each, growing with the table) and stream iterators read the abandoned copy.
"""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.stack import EmulatedStack
from tests.process_memory import resident_megabytes

TABLE_ITEMS = 1000
CANCELLED_TRANSACTIONS = 40


@pytest.fixture
def scratch_table(stack: EmulatedStack) -> Iterator[str]:
    """A table of its own with a stream and some bulk, so that a copy of it weighs megabytes."""
    dynamodb, name = stack.client("dynamodb"), f"scratch-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    yield name
    dynamodb.delete_table(TableName=name)


def _cancelled_transaction(dynamodb: Any, table: str) -> None:
    clash = {"pk": {"S": "taken"}, "sk": {"S": "taken"}}
    fresh = {"pk": {"S": "fresh"}, "sk": {"S": uuid.uuid4().hex}}
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": fresh, "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": table, "Item": clash, "ConditionExpression": "attribute_not_exists(pk)"}},
            ]
        )


def _iterator(stack: EmulatedStack, table: str, kind: str = "LATEST") -> str:
    arn = stack.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = stack.client("dynamodbstreams")
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    return streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=kind)["ShardIterator"]


def test_cancelled_transactions_do_not_grow_moto(stack: EmulatedStack, scratch_table: str) -> None:
    dynamodb, streams = stack.client("dynamodb"), stack.client("dynamodbstreams")
    dynamodb.put_item(TableName=scratch_table, Item={"pk": {"S": "taken"}, "sk": {"S": "taken"}})
    for index in range(TABLE_ITEMS):
        item = {"pk": {"S": f"p{index % 20}"}, "sk": {"S": f"{index:06}"}, "text": {"S": "x" * 300}}
        dynamodb.put_item(TableName=scratch_table, Item=item)

    def cancel_and_poll(times: int) -> None:
        for _ in range(times):
            _cancelled_transaction(dynamodb, scratch_table)
            streams.get_records(ShardIterator=_iterator(stack, scratch_table))  # as the stream poller does

    cancel_and_poll(5)  # the first copies set the allocator's high-water mark
    before = resident_megabytes(stack.moto.pid)
    cancel_and_poll(CANCELLED_TRANSACTIONS)
    growth = resident_megabytes(stack.moto.pid) - before

    # Unpatched, each cancelled transaction kept a copy of the table: about 5 MB each here.
    assert growth < 50, f"moto grew by {growth} MB over {CANCELLED_TRANSACTIONS} cancelled transactions"


def test_an_iterator_survives_a_cancelled_transaction(stack: EmulatedStack, scratch_table: str) -> None:
    dynamodb, streams = stack.client("dynamodb"), stack.client("dynamodbstreams")
    dynamodb.put_item(TableName=scratch_table, Item={"pk": {"S": "taken"}, "sk": {"S": "taken"}})
    iterator = _iterator(stack, scratch_table)

    _cancelled_transaction(dynamodb, scratch_table)
    dynamodb.put_item(TableName=scratch_table, Item={"pk": {"S": "later"}, "sk": {"S": "write"}})
    records = streams.get_records(ShardIterator=iterator)["Records"]

    # No phantom of the cancelled write, and the later write is seen.
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [("INSERT", "later")]


def test_an_unknown_iterator_is_an_expired_iterator_error(stack: EmulatedStack, scratch_table: str) -> None:
    iterator = _iterator(stack, scratch_table)
    with pytest.raises(ClientError, match="ExpiredIteratorException"):
        stack.client("dynamodbstreams").get_records(ShardIterator=iterator + "0")


def test_a_cancelled_transaction_leaves_no_trace(stack: EmulatedStack, scratch_table: str) -> None:
    dynamodb = stack.client("dynamodb")
    kept = {"pk": {"S": "kept"}, "sk": {"S": "kept"}}
    dynamodb.put_item(TableName=scratch_table, Item={**kept, "n": {"N": "1"}})
    dynamodb.put_item(TableName=scratch_table, Item={"pk": {"S": "taken"}, "sk": {"S": "taken"}})
    fresh = {"pk": {"S": "fresh"}, "sk": {"S": "never"}}

    with pytest.raises(ClientError, match="TransactionCanceledException"):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": scratch_table, "Item": fresh}},
                {
                    "Update": {
                        "TableName": scratch_table,
                        "Key": kept,
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {
                    "Put": {
                        "TableName": scratch_table,
                        "Item": {"pk": {"S": "taken"}, "sk": {"S": "taken"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    assert "Item" not in dynamodb.get_item(TableName=scratch_table, Key=fresh)
    assert dynamodb.get_item(TableName=scratch_table, Key=kept)["Item"]["n"] == {"N": "1"}
    # A later write still lands, and the stream shows it alone.
    iterator = _iterator(stack, scratch_table)
    dynamodb.put_item(TableName=scratch_table, Item={"pk": {"S": "after"}, "sk": {"S": "after"}})
    records = stack.client("dynamodbstreams").get_records(ShardIterator=iterator)["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["after"]
