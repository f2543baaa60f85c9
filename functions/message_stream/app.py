"""Pattern E: DynamoDB stream batches of new messages update both members' message group items."""

from messaging.activity.batches import show_newest_messages
from messaging.activity.stream_handler import stream_handler

lambda_handler = stream_handler(show_newest_messages)
