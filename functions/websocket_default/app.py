"""WebSocket $default: every client frame; a ping gets a pong, anything else an error frame."""

from messaging.realtime.routes import answer_frame, websocket_handler

lambda_handler = websocket_handler(answer_frame)
