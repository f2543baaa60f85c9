"""Safety state in the messages table, read and written as typed values: the one module of ``safety`` that knows
attribute values and botocore.

Where it lives: a block on the pair item (``blocked_by``, the blockers' uuids), which D reads, and on both members'
group items (the same set), which C reads; mute on the member's own group item; each blocker's list under
``BLOCKS#<user>``; settings under ``SETTINGS#<user>``.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from messaging.core.aws import dynamodb, store_call, store_error
from messaging.core.config import settings
from messaging.core.domain import Page, User, utc_timestamp
from messaging.core.errors import DependencyUnavailable, NotAMember
from messaging.safety.state import (
    BlockedUser,
    Membership,
    NewConversations,
    Pair,
    Request,
    SettingsChange,
    UserSettings,
)
from messaging.table import keys
from messaging.table.paging import query_page

_TRANSACTION_ATTEMPTS = 3
_BATCH_GET_KEYS = 100  # BatchGetItem's most
_BATCH_GET_ATTEMPTS = 4
_BLOCK_CURSOR_ATTRIBUTES = ("pk", "sk")


def membership(owner_uuid: str, group_uuid: str) -> Membership | None:
    """The owner's group item as C needs it (one consistent GetItem); None when the owner is not a member."""
    item = _projected(keys.group_key(owner_uuid, group_uuid), "user_uuid, blocked_by, pending_request, awaiting_sent")
    return None if item is None else membership_of(item)


def membership_of(item: Mapping[str, Any]) -> Membership:
    sent = item.get("awaiting_sent", {}).get("N")
    if item.get("pending_request", {}).get("BOOL"):
        request = Request.RECEIVED
    else:
        request = Request.NONE if sent is None else Request.SENT
    return Membership(
        other_uuid=item["user_uuid"]["S"],
        blocked=bool(item.get("blocked_by", {}).get("SS")),
        request=request,
        sent_awaiting=int(sent or 0),
    )


def pair(user_a: str, user_b: str) -> Pair | None:
    """The pair item as D needs it (one consistent GetItem); None when the two have neither talked nor blocked."""
    item = _projected(keys.pair_key(user_a, user_b), "pair_group_uuid, blocked_by, request_from")
    return None if item is None else pair_of(item)


def _projected(key: dict[str, dict[str, str]], projection: str) -> Mapping[str, Any] | None:
    response = dynamodb().get_item(
        TableName=settings().messages_table, Key=key, ProjectionExpression=projection, ConsistentRead=True
    )
    item: Mapping[str, Any] | None = response.get("Item")
    return item


def pair_of(item: Mapping[str, Any]) -> Pair:
    group = item.get("pair_group_uuid", {}).get("S")
    blocked = bool(item.get("blocked_by", {}).get("SS"))
    return Pair(group_uuid=group, blocked=blocked, request_from=item.get("request_from", {}).get("S"))


# --- settings ----------------------------------------------------------------------------------------------------


def settings_of(owner_uuid: str) -> UserSettings:
    response = dynamodb().get_item(
        TableName=settings().messages_table, Key=keys.settings_key(owner_uuid), ConsistentRead=True
    )
    return settings_from_item(response.get("Item", {}))


def settings_from_item(item: Mapping[str, Any]) -> UserSettings:
    """A settings item as stored (absent attributes, or no item at all: the defaults)."""
    value = item.get("new_conversations", {}).get("S")
    chosen = NewConversations(value) if value in NewConversations._value2member_map_ else NewConversations.EVERYONE
    receipts = item.get("read_receipts", {}).get("BOOL")
    return UserSettings(chosen, read_receipts=True if receipts is None else bool(receipts))


def put_settings(owner_uuid: str, change: SettingsChange) -> UserSettings:
    """Changes the settings ``change`` names (one UpdateItem, the others untouched); returns them all as now stored."""
    sets: list[str] = []
    values: dict[str, Any] = {}
    if change.new_conversations is not None:
        sets.append("new_conversations = :new_conversations")
        values[":new_conversations"] = {"S": change.new_conversations.value}
    if change.read_receipts is not None:
        sets.append("read_receipts = :read_receipts")
        values[":read_receipts"] = {"BOOL": change.read_receipts}
    if not sets:
        return settings_of(owner_uuid)
    response = dynamodb().update_item(
        TableName=settings().messages_table,
        Key=keys.settings_key(owner_uuid),
        UpdateExpression="SET " + ", ".join(sets),
        ExpressionAttributeValues=values,
        ReturnValues="ALL_NEW",
    )
    return settings_from_item(response["Attributes"])


def owner_of_settings(item: Mapping[str, Any]) -> str:
    return str(item["pk"]["S"]).removeprefix(keys.SETTINGS_PREFIX)


def read_receipts_of(user_uuids: Iterable[str]) -> dict[str, bool]:
    """Whether each user shows (and sees) read receipts: one consistent BatchGetItem per 100 users, absent items
    being the default (on)."""
    wanted = sorted(set(user_uuids))
    found = dict.fromkeys(wanted, True)
    for start in range(0, len(wanted), _BATCH_GET_KEYS):
        chunk = [keys.settings_key(user) for user in wanted[start : start + _BATCH_GET_KEYS]]
        for item in batch_get(chunk, "pk, read_receipts"):
            found[owner_of_settings(item)] = settings_from_item(item).read_receipts
    return found


def batch_get(item_keys: list[dict[str, dict[str, str]]], projection: str) -> list[Mapping[str, Any]]:
    """The items of the messages table at ``item_keys`` (at most 100) that exist, read consistently; keys DynamoDB
    left unprocessed (throttling) are asked again, a few times, then the read is ``DependencyUnavailable``."""
    table = settings().messages_table
    request: dict[str, Any] = {table: {"Keys": item_keys, "ProjectionExpression": projection, "ConsistentRead": True}}
    items: list[Mapping[str, Any]] = []
    for _ in range(_BATCH_GET_ATTEMPTS):
        with store_call("message store"):
            response = dynamodb().batch_get_item(RequestItems=request)
        items += response.get("Responses", {}).get(table, [])
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return items
    raise DependencyUnavailable("The message store is busy; retry shortly.")


# --- blocks ------------------------------------------------------------------------------------------------------


def set_block(blocker: User, blocked: User, *, on: bool) -> None:
    """Adds (or removes) ``blocker`` to the pair's blockers, on the pair item and on both members' group items,
    with the blocker's list entry, in one transaction. The pair's conversation is read first; if one is created
    meanwhile, the transaction's condition fails and it runs again with it."""
    for _ in range(_TRANSACTION_ATTEMPTS):
        found = pair(blocker.uuid, blocked.uuid)
        group = None if found is None else found.group_uuid
        try:
            dynamodb().transact_write_items(TransactItems=_block_items(blocker, blocked, group, on=on))
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise store_error("message store", error) from error
            continue
        return
    raise DependencyUnavailable("The conversation kept changing while the block was set; retry shortly.")


def _block_items(blocker: User, blocked: User, group: str | None, *, on: bool) -> list[dict[str, Any]]:
    table = settings().messages_table
    me = {":me": {"SS": [blocker.uuid]}}
    change = "ADD blocked_by :me" if on else "DELETE blocked_by :me"
    pair_condition = "attribute_not_exists(pair_group_uuid)" if group is None else "pair_group_uuid = :group"
    pair_values = me if group is None else me | {":group": {"S": group}}
    items: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": table,
                "Key": keys.pair_key(blocker.uuid, blocked.uuid),
                "UpdateExpression": change,
                # As read: a conversation created since then must get the block on its group items too.
                "ConditionExpression": pair_condition,
                "ExpressionAttributeValues": pair_values,
            }
        }
    ]
    if on:
        entry = {
            **keys.block_key(blocker.uuid, blocked.uuid),
            "user_uuid": {"S": blocked.uuid},
            "user_display_name": {"S": blocked.display_name},
            "user_handle": {"S": blocked.handle},
            "blocked_at": {"S": utc_timestamp()},
        }
        items.append({"Put": {"TableName": table, "Item": entry}})
    else:
        items.append({"Delete": {"TableName": table, "Key": keys.block_key(blocker.uuid, blocked.uuid)}})
    if group is not None:
        for owner in (blocker.uuid, blocked.uuid):
            items.append(
                {
                    "Update": {
                        "TableName": table,
                        "Key": keys.group_key(owner, group),
                        "UpdateExpression": change,
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": me,
                    }
                }
            )
    return items


def blocks(owner_uuid: str, limit: int, cursor: str | None) -> Page[BlockedUser]:
    partition = keys.blocks_pk(owner_uuid)
    items, next_cursor = query_page(
        {
            "TableName": settings().messages_table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
        },
        partition=partition,
        limit=limit,
        cursor=cursor,
        cursor_attributes=_BLOCK_CURSOR_ATTRIBUTES,
    )
    return Page([_blocked_user(item) for item in items], next_cursor)


def _blocked_user(item: Mapping[str, Any]) -> BlockedUser:
    user = User(item["user_uuid"]["S"], item["user_display_name"]["S"], item["user_handle"]["S"])
    return BlockedUser(user=user, blocked_at=item["blocked_at"]["S"])


# --- mute --------------------------------------------------------------------------------------------------------


def set_muted(owner_uuid: str, group_uuid: str, *, muted: bool) -> None:
    try:
        dynamodb().update_item(
            TableName=settings().messages_table,
            Key=keys.group_key(owner_uuid, group_uuid),
            UpdateExpression="SET muted = :muted",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":muted": {"BOOL": muted}},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise NotAMember("You are not a member of this conversation.") from None
        raise store_error("message store", error) from error
