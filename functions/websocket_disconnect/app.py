"""WebSocket $disconnect: the connection is forgotten, found by its id."""

from messaging.core.config import Need
from messaging.realtime.routes import disconnect, websocket_handler

lambda_handler = websocket_handler(disconnect, Need.CONNECTIONS)
