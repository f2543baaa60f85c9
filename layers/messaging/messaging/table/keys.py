"""Key layout of the single table (docs/architecture.md, "Data"), in one place."""

from datetime import datetime

MESSAGE_PREFIX = "MSG#"
GROUP_PREFIX = "GRP#"
PAIR_PREFIX = "PAIR#"
BLOCKS_PREFIX = "BLOCKS#"
BLOCK_PREFIX = "BLK#"
SETTINGS_PREFIX = "SETTINGS#"
RECENT_GROUPS_INDEX = "last-message-at-index"


def messages_pk(group_uuid: str) -> str:
    return f"{MESSAGE_PREFIX}{group_uuid}"


def group_uuid_of_messages_pk(pk: str) -> str:
    return pk.removeprefix(MESSAGE_PREFIX)


def message_keys_sent_between(start: datetime, end: datetime) -> tuple[str, str]:
    """The lowest and the highest message key (UUIDv7) a message sent from ``start`` to before ``end`` can have:
    a key's first 48 bits are its time in milliseconds, so a time range is a key range (``sk BETWEEN``)."""

    def bound(moment: datetime, rest: str) -> str:
        milliseconds = f"{int(moment.timestamp() * 1000):012x}"
        return f"{milliseconds[:8]}-{milliseconds[8:]}-{rest}"

    last = datetime.fromtimestamp((int(end.timestamp() * 1000) - 1) / 1000, tz=end.tzinfo)
    return bound(start, "0000-0000-000000000000"), bound(last, "ffff-ffff-ffffffffffff")


def groups_pk(owner_uuid: str) -> str:
    return f"{GROUP_PREFIX}{owner_uuid}"


def group_sk(group_uuid: str) -> str:
    return f"{GROUP_PREFIX}{group_uuid}"


def group_key(owner_uuid: str, group_uuid: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": groups_pk(owner_uuid)}, "sk": {"S": group_sk(group_uuid)}}


def pair_key(user_a: str, user_b: str) -> dict[str, dict[str, str]]:
    # Ordered so that both members name the same item, whoever starts the conversation.
    low, high = sorted((user_a, user_b))
    return {"pk": {"S": f"{PAIR_PREFIX}{low}#{high}"}, "sk": {"S": "PAIR"}}


def blocks_pk(owner_uuid: str) -> str:
    """The partition of the users ``owner_uuid`` blocks: one item each (GET /api/blocks)."""
    return f"{BLOCKS_PREFIX}{owner_uuid}"


def block_key(owner_uuid: str, blocked_uuid: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": blocks_pk(owner_uuid)}, "sk": {"S": f"{BLOCK_PREFIX}{blocked_uuid}"}}


def settings_key(owner_uuid: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"{SETTINGS_PREFIX}{owner_uuid}"}, "sk": {"S": "SETTINGS"}}
