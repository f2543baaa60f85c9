"""Message requests in the messages table: the one module that writes them.

Every new conversation starts as a request. Until the other member replies or accepts, three attributes say so:
the pair item names the starter (``request_from``: D reads it), the starter's group item counts the messages they
sent while awaiting (``awaiting_sent``), and the other member's group item is marked ``pending_request`` (both read by C
with its membership, and shown by B). Accepting removes all three in one transaction, with the reply when there
is one; a starter's message is stored in one transaction with its count, whose condition holds the limit however
many sends race. A conversation that is no request costs nothing more: C and D write one item as before.
"""

from typing import Any

from messaging.core.aws import ITEM_COLLECTION_FULL_REASON, StoreRefused
from messaging.core.config import settings
from messaging.core.domain import Message, User
from messaging.core.errors import ConversationFull
from messaging.safety import rules, store
from messaging.safety.state import Request
from messaging.table import keys
from messaging.table.items import message_item
from messaging.table.transactions import Reason, refused, transact

# The starter's and the other member's group items as a new conversation's transaction puts them.
SENT_FIRST = {"awaiting_sent": {"N": "1"}}
RECEIVED = {"pending_request": {"BOOL": True}}


def requested_by(starter: User) -> dict[str, dict[str, str]]:
    """The new conversation's pair item's request attribute."""
    return {"request_from": {"S": starter.uuid}}


_MESSAGE, _COUNT = 0, 1


def post_awaiting(message: Message, limit: int) -> bool:
    """Stores a message of a request's starter with the count of what they sent while awaiting, if that count is
    under ``limit``. False when the request was accepted meanwhile (nothing stored: it is an ordinary message now);
    raises ``AwaitingAcceptance`` when the starter has sent ``limit`` already."""
    table = settings().messages_table
    reasons = transact(
        [
            _put_message(message),
            {
                "Update": {
                    "TableName": table,
                    "Key": keys.group_key(message.sender.uuid, message.group_uuid),
                    "UpdateExpression": "SET awaiting_sent = awaiting_sent + :one",
                    # Fails once accepted too (the attribute is gone): the caller then posts it as any message.
                    "ConditionExpression": "awaiting_sent < :limit",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": str(limit)}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        ]
    )
    if reasons is None:
        return True
    _raise_if_full(reasons)
    if refused(reasons[_COUNT]):
        if _still_awaiting(reasons[_COUNT], message):
            raise rules.awaiting_error(limit)
        return False
    raise StoreRefused(f"the message's transaction was refused: {reasons}")


def _still_awaiting(reason: Reason, message: Message) -> bool:
    item = reason.get("Item")
    if item is None:  # Older servers do not return the item on a cancelled transaction.
        found = store.membership(message.sender.uuid, message.group_uuid)
        return found is not None and found.request is Request.SENT
    return "awaiting_sent" in item


def accept(owner_uuid: str, other_uuid: str, group_uuid: str, reply: Message | None = None) -> None:
    """Accepts the request ``other_uuid`` sent ``owner_uuid`` in ``group_uuid``, with the owner's reply if any.
    Accepting an accepted conversation changes nothing."""
    table = settings().messages_table
    items: list[dict[str, Any]] = [
        _remove(keys.group_key(owner_uuid, group_uuid), "pending_request"),
        _remove(keys.group_key(other_uuid, group_uuid), "awaiting_sent"),
        {
            "Update": {
                "TableName": table,
                "Key": keys.pair_key(owner_uuid, other_uuid),
                "UpdateExpression": "REMOVE request_from",
                "ConditionExpression": "pair_group_uuid = :group",
                "ExpressionAttributeValues": {":group": {"S": group_uuid}},
            }
        },
    ]
    if reply is not None:
        items.insert(_MESSAGE, _put_message(reply))
    reasons = transact(items)
    if reasons is None:
        return
    _raise_if_full(reasons)
    raise StoreRefused(f"the acceptance's transaction was refused: {reasons}")


def _put_message(message: Message) -> dict[str, Any]:
    # Never overwrite: a message key is unique by construction (each attempt's token covers botocore's retries).
    return {
        "Put": {
            "TableName": settings().messages_table,
            "Item": message_item(message),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def _remove(key: dict[str, dict[str, str]], attribute: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": settings().messages_table,
            "Key": key,
            "UpdateExpression": f"REMOVE {attribute}",
            "ConditionExpression": "attribute_exists(pk)",
        }
    }


def _raise_if_full(reasons: list[Reason]) -> None:
    if any(reason.get("Code") == ITEM_COLLECTION_FULL_REASON for reason in reasons):
        raise ConversationFull()
