"""bin/ddb/patterns/*: run an access pattern's query by hand, printing the query and its consumed capacity."""

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from messaging.table import keys
from ops.cli import Command, dispatch
from ops.ddb import plain
from ops.target import ScriptError, Target
from tooling.seed import SEED_GROUP_UUID


def get_conversation(target: Target, args: argparse.Namespace) -> None:
    """Pattern A: a group's messages of one year, newest first (printed oldest first).

    A message's key is its UUIDv7, whose first bits are its time: the year is a range of keys."""
    year = int(args.year)
    first, last = keys.message_keys_sent_between(datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC))
    query = {
        "TableName": target.messages_table,
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
        "ExpressionAttributeValues": {
            ":pk": {"S": keys.messages_pk(args.group)},
            ":first": {"S": first},
            ":last": {"S": last},
        },
        "ScanIndexForward": False,
        "Limit": args.limit,
        "ReturnConsumedCapacity": "TOTAL",
    }
    response = _run(target, query)
    for item in reversed(response["Items"]):
        message = plain(item)
        text = message.get("message", "(deleted)")
        print(f"{message['user_handle']:<14} {message['created_at']}  {text}")


def list_conversations(target: Target, args: argparse.Namespace) -> None:
    """Pattern B: a user's conversations, most recent activity first."""
    target.export_for_layer()
    from messaging.people.profiles import user_by_handle  # noqa: PLC0415 - the layer reads the settings above

    user = user_by_handle(args.handle)
    if user is None:
        raise ScriptError(f"no user with handle {args.handle!r} in PostgreSQL")
    print(f"{args.handle}: {user.uuid}")
    query = {
        "TableName": target.messages_table,
        "IndexName": keys.RECENT_GROUPS_INDEX,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": keys.groups_pk(user.uuid)}},
        "ScanIndexForward": False,
        "Limit": args.limit,
        "ReturnConsumedCapacity": "TOTAL",
    }
    response = _run(target, query)
    for item in response["Items"]:
        group = plain(item)
        print(
            f"{group['message_group_uuid']}  {group['user_handle']:<14} {group['last_message_at']}  {group['message']}"
        )


def _run(target: Target, query: dict[str, Any]) -> dict[str, Any]:
    print(json.dumps(query, indent=2))
    response = target.client("dynamodb").query(**query)
    capacity = response.get("ConsumedCapacity", {}).get("CapacityUnits", 0)
    print(f"{response['Count']} item(s), consumed capacity: {capacity} RCU")
    return response


def _conversation_options(cli: argparse.ArgumentParser) -> None:
    cli.add_argument("--group", default=SEED_GROUP_UUID, help="message group uuid (default: the seeded one)")
    cli.add_argument("--year", default=str(datetime.now(UTC).year), help="year of the messages (default: this one)")
    cli.add_argument("--limit", type=int, default=20)


def _conversations_options(cli: argparse.ArgumentParser) -> None:
    cli.add_argument("--handle", default="andrewbrown", help="whose conversations (default andrewbrown)")
    cli.add_argument("--limit", type=int, default=20)


COMMANDS = {
    "get-conversation": Command(get_conversation, get_conversation.__doc__ or "", _conversation_options),
    "list-conversations": Command(list_conversations, list_conversations.__doc__ or "", _conversations_options),
}

if __name__ == "__main__":
    sys.exit(dispatch("bin/ddb/patterns", COMMANDS))
