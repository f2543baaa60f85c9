"""The consistency check used after fuzzing, concurrency and soak runs does find broken invariants."""

import dataclasses
import uuid

from local.stack import EmulatedStack
from tests.api_client import ApiClient
from tooling.consistency import table_problems
from tooling.tables import ensure_table, table_definitions


def test_a_healthy_conversation_passes_and_each_break_is_named(stack: EmulatedStack, api: ApiClient, new_user) -> None:
    dynamodb = stack.client("dynamodb")
    (definition,) = [d for d in table_definitions(stack.template) if d.logical_id == "MessagesTable"]
    scratch = f"consistency-{uuid.uuid4().hex[:8]}"
    ensure_table(
        dynamodb, dataclasses.replace(definition, create_table={**definition.create_table, "TableName": scratch})
    )

    main = stack.template.table_name("MessagesTable")
    me, them = new_user(), new_user()
    group = api.post("/api/message_groups", me, {"handle": them.handle, "message": "hi"}).body["message_group_uuid"]
    stack.stream.drain()  # the check is of a table pattern E has caught up with
    items = [
        i
        for page in dynamodb.get_paginator("scan").paginate(TableName=main)
        for i in page["Items"]
        if group in i["pk"]["S"]
        or i.get("message_group_uuid", {}).get("S") == group
        or i.get("pair_group_uuid", {}).get("S") == group
    ]
    assert len(items) == 4  # pair, two member items, the message
    for item in items:
        dynamodb.put_item(TableName=scratch, Item=item)
    assert table_problems(dynamodb, scratch) == []

    newer = {**next(i for i in items if i["pk"]["S"].startswith("MSG#")), "sk": {"S": "9999#newer"}}
    dynamodb.put_item(TableName=scratch, Item=newer)
    stale = table_problems(dynamodb, scratch)
    assert len(stale) == 2
    assert all("newest is 9999#newer" in problem for problem in stale)

    dynamodb.delete_item(TableName=scratch, Key={"pk": newer["pk"], "sk": newer["sk"]})
    # A request half accepted: the pair and the starter's item still say it is pending, the other's does not.
    (received,) = [i for i in items if i["pk"]["S"] == f"GRP#{them.uuid}"]
    assert received["pending_request"] == {"BOOL": True}  # the conversation is a request: not yet accepted
    dynamodb.put_item(TableName=scratch, Item={k: v for k, v in received.items() if k != "pending_request"})
    assert table_problems(dynamodb, scratch) == [
        f"group {group}: request from {me.uuid}, awaiting on {[me.uuid]}, pending on []"
    ]
    dynamodb.put_item(TableName=scratch, Item=received)
    # A pair item holding only a block (the two never talked) names no group, and is no problem.
    stub = {"pk": {"S": f"PAIR#{new_user().uuid}#{new_user().uuid}"}, "sk": {"S": "PAIR"}, "blocked_by": {"SS": ["x"]}}
    dynamodb.put_item(TableName=scratch, Item=stub)
    assert table_problems(dynamodb, scratch) == []

    member = next(i for i in items if i["pk"]["S"].startswith("GRP#"))
    dynamodb.delete_item(TableName=scratch, Key={"pk": member["pk"], "sk": member["sk"]})
    assert f"group {group} has 1 member items" in table_problems(dynamodb, scratch)
    dynamodb.delete_table(TableName=scratch)
