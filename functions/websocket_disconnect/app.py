"""WebSocket $disconnect: the connection is forgotten, found by its id."""

from messaging.websocket.routes import disconnect, websocket_handler

lambda_handler = websocket_handler(disconnect)
