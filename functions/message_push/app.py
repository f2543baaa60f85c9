"""Push: DynamoDB stream batches of new messages are posted to every open connection of both members."""

from messaging.logic.push import push_messages
from messaging.stream.push import push_handler

lambda_handler = push_handler(push_messages)
