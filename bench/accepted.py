"""Conversations the bench starts, accepted by the other member at once: every new conversation is a message
request, which holds its starter to MessageRequestLimit messages and makes each of them a transaction. The
bench's bursts and changes measure the conversations people talk in, not requests (bench/routes.py measures
those on their own rows)."""

from messaging.conversations import service
from messaging.core.domain import Message
from messaging.safety import requests


def start_accepted(sender_sub: str, handle: str, text: str) -> Message:
    """D as ``sender_sub`` to ``handle``, then the recipient's acceptance (its data transaction, as the accept
    route makes it); the conversation's first message."""
    first, _ = service.start_message_group(sender_sub, handle, text)
    requests.accept(first.recipient_uuid, first.sender.uuid, first.group_uuid)
    return first
