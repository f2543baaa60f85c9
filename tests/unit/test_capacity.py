"""bench.capacity against the DynamoDB Developer Guide's own examples and the rules its pages state."""

import pytest

from bench.capacity import (
    Index,
    failed_write_units,
    indexes_of,
    item_size,
    number_size,
    read_units,
    value_size,
    write_units,
)

KB = 1024
LSI = Index(name="last-message-at-index", key=("pk", "last_message_at"), table_key=("pk", "sk"))
OLD_GSI = Index(name="message-group-sk-index", key=("message_group_uuid", "sk"), table_key=("pk", "sk"))


def text_item(size: int) -> dict:
    """An item of exactly ``size`` bytes: key attributes plus one padding string."""
    item = {"pk": {"S": "p"}, "sk": {"S": "s"}}
    return item | {"x": {"S": "a" * (size - item_size(item) - 1)}}


def group_item(last_message_at: str, message: str = "hello") -> dict:
    return {
        "pk": {"S": "GRP#owner"},
        "sk": {"S": "GRP#group"},
        "message_group_uuid": {"S": "group"},
        "user_uuid": {"S": "other"},
        "message": {"S": message},
        "last_message_at": {"S": last_message_at},
    }


def test_an_item_is_its_attribute_names_and_values_in_utf8() -> None:
    # The npm dyno-item-size example: {"string": "string", "number": 27, "buffer": b"buffer"} is 32 bytes.
    assert item_size({"string": {"S": "string"}, "number": {"N": "27"}, "buffer": {"B": b"buffer"}}) == 32
    assert item_size({"é": {"S": "日本"}}) == 2 + 6
    assert item_size(None) == 0


@pytest.mark.parametrize(
    ("number", "size"),
    [("0", 1), ("7", 2), ("27", 2), ("123", 3), ("-123", 3), ("1000000", 2), ("0.00123", 3), ("3.14159", 4)],
)
def test_a_number_is_one_byte_per_two_significant_digits_plus_one(number: str, size: int) -> None:
    assert number_size(number) == size


def test_lists_and_maps_cost_three_bytes_and_one_per_element() -> None:
    assert value_size({"L": []}) == 3
    assert value_size({"M": {}}) == 3
    assert value_size({"L": [{"S": "ab"}, {"BOOL": True}]}) == 3 + (2 + 1) + (1 + 1)
    assert value_size({"M": {"k": {"S": "ab"}, "n": {"NULL": True}}}) == 3 + (1 + 2 + 1) + (1 + 1 + 1)
    assert value_size({"SS": ["ab", "c"]}) == 3
    assert value_size({"NS": ["27", "123"]}) == 5


def test_writes_round_each_item_up_to_1_kb() -> None:
    # Guide: a 500-byte item costs one unit; a 1.6 KB item two.
    assert write_units(None, text_item(500)).total == 1
    assert write_units(None, text_item(int(1.6 * KB))).total == 2
    assert write_units(None, text_item(KB)).total == 1
    assert write_units(None, text_item(KB + 1)).total == 2


def test_a_replacing_put_or_an_update_bills_the_larger_of_before_and_after() -> None:
    assert write_units(text_item(3 * KB), text_item(100)).total == 3
    assert write_units(text_item(100), text_item(2 * KB + 1)).total == 3


def test_a_delete_bills_the_deleted_item() -> None:
    assert write_units(text_item(2 * KB), None).total == 2


def test_a_failed_condition_bills_the_existing_item_or_one_unit() -> None:
    assert failed_write_units(None, text_item(5 * KB)) == 1
    assert failed_write_units(text_item(int(1.5 * KB))) == 2


def test_a_transaction_bills_two_writes_per_item_even_when_cancelled() -> None:
    # Guide: one transaction writing three 500-byte items needs 6 units.
    assert sum(write_units(None, text_item(500), transactional=True).total for _ in range(3)) == 6
    assert failed_write_units(None, text_item(500), transactional=True) == 2


def test_an_item_without_the_index_key_is_not_in_the_index() -> None:
    pair = {"pk": {"S": "PAIR#a#b"}, "sk": {"S": "PAIR"}, "pair_group_uuid": {"S": "group"}}
    units = write_units(None, pair, [LSI, OLD_GSI])
    assert (units.table, units.indexes) == (1, {})


def test_creating_an_index_entry_costs_a_put() -> None:
    units = write_units(None, group_item("2026-01-01"), [LSI, OLD_GSI])
    assert (units.table, dict(units.indexes)) == (1, {LSI.name: 1, OLD_GSI.name: 1})


def test_removing_an_index_entry_costs_a_delete() -> None:
    before, after = group_item("2026-01-01"), group_item("2026-01-01")
    del after["last_message_at"]
    assert dict(write_units(before, after, [LSI]).indexes) == {LSI.name: 1}
    assert dict(write_units(before, None, [LSI]).indexes) == {LSI.name: 1}


def test_changing_the_index_key_costs_a_delete_and_a_put_while_other_indexes_pay_one_update() -> None:
    # Pattern E: a new last message moves the LSI entry (new sort key) and rewrites the GSI entry in place.
    units = write_units(group_item("2026-01-01", "hi"), group_item("2026-01-02", "there"), [LSI, OLD_GSI])
    assert (units.table, dict(units.indexes)) == (1, {LSI.name: 2, OLD_GSI.name: 1})
    assert write_units(group_item("2026-01-01"), group_item("2026-01-02"), [LSI]).total == 3
    assert units.total == 4


def test_an_unchanged_index_entry_costs_nothing() -> None:
    keys_only = Index(name="keys", key=("pk", "last_message_at"), table_key=("pk", "sk"), projection="KEYS_ONLY")
    units = write_units(group_item("2026-01-01", "hi"), group_item("2026-01-01", "there"), [keys_only])
    assert (units.table, dict(units.indexes)) == (1, {})


def test_an_index_entry_holds_only_what_the_index_projects() -> None:
    include = Index(
        name="inc", key=("pk", "last_message_at"), table_key=("pk", "sk"), projection="INCLUDE",
        non_key_attributes=("message",),
    )  # fmt: skip
    assert set(include.entry(group_item("2026-01-01"))) == {"pk", "sk", "last_message_at", "message"}
    big = group_item("2026-01-01", "a" * 3 * KB)
    assert include.entry(big) is not None
    assert write_units(None, big, [include]).indexes == {"inc": 4}
    keys_only = Index(name="k", key=("pk", "last_message_at"), table_key=("pk", "sk"), projection="KEYS_ONLY")
    assert write_units(None, big, [keys_only]).indexes == {"k": 1}


def test_reads_round_up_to_4_kb_and_halve_when_eventually_consistent() -> None:
    # Guide: a 3,500-byte item is one unit; a 10 KB item is three (12 KB); 8 KB eventually consistent is one.
    assert read_units([3500], consistent=True) == 1
    assert read_units([10 * KB], consistent=True) == 3
    assert read_units([8 * KB], consistent=False) == 1
    # Guide: an eventually consistent read of 80 KB in all is 10 units.
    assert read_units([80 * KB], consistent=False) == 10


def test_a_query_rounds_the_total_of_its_items_once() -> None:
    # Guide: 10 items of 40.8 KB in all round to 44 KB; 1,500 items of 64 bytes are 96 KB.
    assert read_units([int(40.8 * KB / 10)] * 10, consistent=True) == 11
    assert read_units([64] * 1500, consistent=True) == 24
    assert read_units([100] * 3, consistent=False) == 0.5


def test_a_read_that_finds_nothing_still_costs_the_minimum() -> None:
    assert read_units([], consistent=True) == 1
    assert read_units([], consistent=False) == 0.5


def test_indexes_come_from_the_create_table_request() -> None:
    create_table = {
        "KeySchema": [{"AttributeName": "sk", "KeyType": "RANGE"}, {"AttributeName": "pk", "KeyType": "HASH"}],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "last-message-at-index",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "last_message_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "g",
                "KeySchema": [{"AttributeName": "message_group_uuid", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["message"]},
            }
        ],
    }
    assert indexes_of(create_table) == (
        LSI,
        Index(
            name="g", key=("message_group_uuid",), table_key=("pk", "sk"), projection="INCLUDE",
            non_key_attributes=("message",),
        ),
    )  # fmt: skip


def test_a_filtered_projected_or_counted_query_is_metered_on_what_it_reads() -> None:
    from bench.calls import _unnarrowed  # noqa: PLC0415 - the meter's one pure helper

    query = {
        "TableName": "t",
        "KeyConditionExpression": "pk = :pk AND #sk BETWEEN :lower AND :upper",
        "FilterExpression": "user_uuid = :sender AND #m <> :empty",
        "ProjectionExpression": "#m",
        "Select": "COUNT",
        "ExpressionAttributeNames": {"#sk": "sk", "#m": "message"},
        "ExpressionAttributeValues": {":pk": 1, ":lower": 2, ":upper": 3, ":sender": 4, ":empty": 5},
        "ConsistentRead": True,
        "Limit": 21,
        "ExclusiveStartKey": {"pk": 1},
    }
    assert _unnarrowed(query) == {
        "TableName": "t",
        "KeyConditionExpression": "pk = :pk AND #sk BETWEEN :lower AND :upper",
        "ExpressionAttributeNames": {"#sk": "sk"},
        "ExpressionAttributeValues": {":pk": 1, ":lower": 2, ":upper": 3},
        "ConsistentRead": True,
        "Limit": 21,
        "ExclusiveStartKey": {"pk": 1},
    }
