"""The local moto server stays flat in memory, its stream stays true across cancelled transactions, and a Query
reads the partition it names with the answers DynamoDB gives.

moto rolls a cancelled TransactWriteItems back by swapping in a deep copy of the table; unpatched, every copy
was kept for good (megabytes each, growing with the table) and stream iterators read the abandoned copy.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.stack import EmulatedStack
from tests.process_memory import resident_megabytes

TABLE_ITEMS = 1000
CANCELLED_TRANSACTIONS = 40


@contextmanager
def own_table(stack: EmulatedStack, prefix: str, keys: tuple[str, ...], *indexed: str, **options: Any) -> Iterator[str]:
    """A table of this test's, deleted after it: `keys` its partition key and sort key (if any), `indexed` the
    other string attributes its indexes use, `options` the rest of CreateTable's arguments."""
    dynamodb, name = stack.client("dynamodb"), f"{prefix}-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"), strict=False)],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in (*keys, *indexed)],
        BillingMode="PAY_PER_REQUEST",
        **options,
    )
    try:
        yield name
    finally:
        dynamodb.delete_table(TableName=name)


@pytest.fixture
def scratch_table(stack: EmulatedStack) -> Iterator[str]:
    """A table of its own with a stream and some bulk, so that a copy of it weighs megabytes."""
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    with own_table(stack, "scratch", ("pk", "sk"), StreamSpecification=stream) as name:
        yield name


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


@pytest.fixture
def indexed_table(stack: EmulatedStack) -> Iterator[str]:
    """A table shaped like ours: a partition and sort key, a local index on another sort key, a global index."""
    dynamodb = stack.client("dynamodb")
    local_index = {
        "IndexName": "by-at",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    global_index = {
        "IndexName": "by-kind",
        "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    with own_table(
        stack,
        "indexed",
        ("pk", "sk"),
        "at",
        "kind",
        LocalSecondaryIndexes=[local_index],
        GlobalSecondaryIndexes=[global_index],
    ) as name:
        for index in range(60):  # partitions p0..p5, ten items each; "at" runs against "sk" within a partition
            item = {"pk": {"S": f"p{index % 6}"}, "sk": {"S": f"{index:03}"}, "at": {"S": f"{99 - index:03}"}}
            if index % 4 == 0:
                item["kind"] = {"S": "marked"}
            dynamodb.put_item(TableName=name, Item=item)
        yield name


def _pages(dynamodb: Any, **query: Any) -> list[list[str]]:
    pages, start = [], {}
    while True:
        answer = dynamodb.query(Limit=3, **query, **start)
        pages.append([item["sk"]["S"] for item in answer["Items"]])
        if "LastEvaluatedKey" not in answer:
            return pages
        start = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}


def test_a_query_reads_its_partition_alone_with_paging_order_and_conditions(
    stack: EmulatedStack, indexed_table: str
) -> None:
    # The local moto answers a Query from the partition it names (not a sort of the whole table): the same items
    # in the same order, page by page, as DynamoDB gives.
    dynamodb = stack.client("dynamodb")
    p2 = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p2"}}}
    in_p2 = [f"{index:03}" for index in range(2, 60, 6)]

    pages = _pages(dynamodb, TableName=indexed_table, **p2)
    assert [len(page) for page in pages] == [3, 3, 3, 1]
    assert list(chain(*pages)) == in_p2
    assert _pages(dynamodb, TableName=indexed_table, ScanIndexForward=False, **p2)[0] == in_p2[::-1][:3]
    assert list(chain(*_pages(dynamodb, TableName=indexed_table, IndexName="by-at", **p2))) == in_p2[::-1]
    ranged = dynamodb.query(
        TableName=indexed_table,
        KeyConditionExpression="pk = :p AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues={":p": {"S": "p2"}, ":low": {"S": "010"}, ":high": {"S": "030"}},
    )
    assert [item["sk"]["S"] for item in ranged["Items"]] == ["014", "020", "026"]
    counted = dynamodb.query(TableName=indexed_table, Select="COUNT", **p2)
    assert counted["Count"] == 10
    missing = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "nowhere"}}}
    assert dynamodb.query(TableName=indexed_table, **missing)["Items"] == []
    # A global index's partitions span the table's: its Query still finds them all.
    marked = dynamodb.query(
        TableName=indexed_table,
        IndexName="by-kind",
        KeyConditionExpression="kind = :k",
        ExpressionAttributeValues={":k": {"S": "marked"}},
    )
    assert [item["sk"]["S"] for item in marked["Items"]] == [f"{index:03}" for index in range(0, 60, 4)]


def test_a_query_of_a_table_without_a_sort_key_finds_its_one_item(stack: EmulatedStack) -> None:
    dynamodb = stack.client("dynamodb")
    with own_table(stack, "hash-only", ("pk",)) as name:
        for key in ("a", "b", "c"):
            dynamodb.put_item(TableName=name, Item={"pk": {"S": key}, "n": {"S": key * 2}})
        answer = dynamodb.query(
            TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "b"}}
        )
        assert answer["Items"] == [{"pk": {"S": "b"}, "n": {"S": "bb"}}]
