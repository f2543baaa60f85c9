"""Push: DynamoDB stream batches of new messages are posted to every open connection of both members."""

from functools import partial

from messaging.logic.push import push_messages
from messaging.stream.push import push_handler
from messaging.websocket.frames import frames_of

lambda_handler = push_handler(partial(push_messages, frames_of=frames_of))
