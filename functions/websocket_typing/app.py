"""WebSocket route ``typing``: the caller is typing in a conversation; its other member's connections are told."""

from messaging.core.config import Need
from messaging.realtime.routes import answer_typing, websocket_handler

# The frame limit and expiry as $default's; the caller's connection, membership and the other's connections.
lambda_handler = websocket_handler(answer_typing, Need.FRAME_LIMITS, Need.MANAGEMENT, Need.CONNECTIONS, Need.MESSAGES)
