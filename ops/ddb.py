"""bin/ddb/*: the DynamoDB scripts of the notes, on the table that template.yaml defines."""

import argparse
import json
import sys
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from ops.cli import Command, confirm, dispatch
from ops.target import Target
from tooling.tables import ensure_table, table_definitions
from tooling.template import Template

_plain = TypeDeserializer()


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as ordinary JSON values."""
    return {name: _plain.deserialize(value) for name, value in item.items()}


def _json_number(value: object) -> int | float:
    # DynamoDB numbers arrive as Decimal (unread_count, for one): print them as the numbers they are.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def schema_load(target: Target, _args: argparse.Namespace) -> None:
    dynamodb = target.client("dynamodb")
    for definition in _definitions(target):
        created = ensure_table(dynamodb, definition)
        print(f"{'created' if created else 'exists '} table {definition.name} (template.yaml {definition.logical_id})")


def list_tables(target: Target, _args: argparse.Namespace) -> None:
    names = [
        n for page in target.client("dynamodb").get_paginator("list_tables").paginate() for n in page["TableNames"]
    ]
    for name in names:
        print(name)
    print(f"{len(names)} table(s) at {target.endpoint_url or target.region}", file=sys.stderr)


def drop(target: Target, args: argparse.Namespace) -> None:
    table = args.table or target.messages_table
    dynamodb = target.client("dynamodb")
    try:
        count = dynamodb.describe_table(TableName=table)["Table"].get("ItemCount", 0)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        print(f"table {table} does not exist; nothing to drop")
        return
    confirm(f"Drop table {table} ({target.name}, about {count} items)? This deletes every message in it.", args.yes)
    dynamodb.delete_table(TableName=table)
    dynamodb.get_waiter("table_not_exists").wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    print(f"dropped table {table}")


def seed(target: Target, _args: argparse.Namespace) -> None:
    target.export_for_layer()
    from tooling.seed import SEED_GROUP_UUID, seed_conversation  # noqa: PLC0415 - the layer reads the settings above

    written = seed_conversation()
    if written:
        print(f"seeded conversation {SEED_GROUP_UUID} (andrewbrown and bayko): {written} messages")
    else:
        print("andrewbrown and bayko already share a conversation; nothing written")


def scan(target: Target, args: argparse.Namespace) -> None:
    paginator = target.client("dynamodb").get_paginator("scan")
    pages = paginator.paginate(TableName=target.messages_table, PaginationConfig={"PageSize": args.page_size})
    count = page_count = 0
    for page in pages:
        page_count += 1
        for item in page["Items"]:
            count += 1
            print(json.dumps(plain(item), ensure_ascii=False, sort_keys=True, default=_json_number))
    print(
        f"{count} item(s) in {target.messages_table}, {page_count} page(s) of up to {args.page_size}", file=sys.stderr
    )


def _definitions(target: Target) -> list:
    # The table names follow the target (a prod table may be renamed with MESSAGES_TABLE).
    template = Template(parameter_overrides={"MessagesTableName": target.messages_table})
    return table_definitions(template)


def _drop_options(cli: argparse.ArgumentParser) -> None:
    cli.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    cli.add_argument("--table", help="another table to drop (default: the messages table)")


def _scan_options(cli: argparse.ArgumentParser) -> None:
    cli.add_argument("--page-size", type=int, default=100, help="items per Scan call (default 100)")


COMMANDS = {
    "schema-load": Command(schema_load, "Create the tables of template.yaml unless they exist."),
    "list-tables": Command(list_tables, "List the DynamoDB tables."),
    "drop": Command(drop, "Delete the messages table (asks first).", _drop_options),
    "seed": Command(seed, "Write the andrewbrown/bayko conversation (~100 messages) through the Lambdas' layer code."),
    "scan": Command(scan, "Print every item of the messages table, page by page.", _scan_options),
}

if __name__ == "__main__":
    sys.exit(dispatch("bin/ddb", COMMANDS))
