"""WebSocket $connect: the authorized user's connection is stored, so pushes find it."""

from messaging.websocket.routes import connect, websocket_handler

lambda_handler = websocket_handler(connect)
