"""Key layout of the single table (docs/architecture.md, "Data"), in one place."""

MESSAGE_PREFIX = "MSG#"
GROUP_PREFIX = "GRP#"
PAIR_PREFIX = "PAIR#"
RECENT_GROUPS_INDEX = "last-message-at-index"


def messages_pk(group_uuid: str) -> str:
    return f"{MESSAGE_PREFIX}{group_uuid}"


def group_uuid_of_messages_pk(pk: str) -> str:
    return pk.removeprefix(MESSAGE_PREFIX)


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
