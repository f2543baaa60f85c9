"""WebSocket $connect: the authorized sign-in's user, whose connection is stored, so pushes find it."""

from messaging.websocket.connect import connect
from messaging.websocket.routes import websocket_handler

lambda_handler = websocket_handler(connect)
