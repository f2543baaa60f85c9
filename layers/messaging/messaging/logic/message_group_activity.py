"""Pattern E: after messages land, both members' group items show each group's newest message.

Streams deliver at least once and may redeliver out of order, so each update is conditional on the message being
newer than the one shown; messages are coalesced per group first, so a burst into one group costs one update per
member. The message names both members, so nothing is read.
"""

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from messaging.dal import message_groups
from messaging.domain import Message
from messaging.observability import logger

_GROUP_WORKERS = 8  # below botocore's connection pool (10), so no worker waits for a connection


def show_newest_messages(messages: Iterable[Message]) -> dict[str, BaseException]:
    """Applies each group's newest message; returns why each group that failed did, by group uuid.

    Groups are independent and each costs two round trips, so they run side by side: a burst over many groups
    takes about as long as its slowest group, not the sum of them.
    """
    newest = newest_per_group(messages)
    if not newest:
        return {}
    with ThreadPoolExecutor(max_workers=min(_GROUP_WORKERS, len(newest))) as pool:
        outcomes = {group: pool.submit(show_as_last_message, message) for group, message in newest.items()}
    failures = {group: error for group, outcome in outcomes.items() if (error := outcome.exception()) is not None}
    for group, error in failures.items():
        logger.warning("message group not updated", extra={"group": group, "error": type(error).__name__})
    return failures


def newest_per_group(messages: Iterable[Message]) -> dict[str, Message]:
    newest: dict[str, Message] = {}
    for message in messages:
        current = newest.get(message.group_uuid)
        if current is None or current.sort_key < message.sort_key:
            newest[message.group_uuid] = message
    return newest


def show_as_last_message(message: Message) -> None:
    for member_uuid in message.member_uuids:
        if not message_groups.show_last_message(member_uuid, message):
            logger.debug("newer message already shown", extra={"group": message.group_uuid})
