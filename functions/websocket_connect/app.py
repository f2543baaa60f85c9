"""WebSocket $connect: the authorized sign-in's user, whose connection is stored, so pushes find it."""

from messaging.realtime.connect import connect
from messaging.realtime.routes import websocket_handler

lambda_handler = websocket_handler(connect)
