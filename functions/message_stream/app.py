"""Pattern E: DynamoDB stream batches of new messages update both members' message group items."""

from messaging.logic.message_group_activity import show_newest_messages
from messaging.stream import stream_handler

lambda_handler = stream_handler(show_newest_messages)
