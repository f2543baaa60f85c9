"""WebSocket $disconnect: the connection is forgotten."""

from messaging.websocket.routes import disconnect, websocket_handler

lambda_handler = websocket_handler(disconnect)
