"""WebSocket $default: every client frame; a ping gets a pong, anything else an error frame."""

from messaging.core.config import Need
from messaging.realtime.routes import answer_frame, websocket_handler

# Frames are limited per connection; an expired or flooding connection is closed.
lambda_handler = websocket_handler(answer_frame, Need.FRAME_LIMITS, Need.MANAGEMENT)
