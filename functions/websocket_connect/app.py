"""WebSocket $connect: the authorized sign-in's user, whose connection is stored, so pushes find it."""

from messaging.core.config import Need
from messaging.realtime.connect import connect
from messaging.realtime.routes import websocket_handler

# The sub to a profile (PostgreSQL), the connection stored, and past the cap the user's oldest closed.
lambda_handler = websocket_handler(connect, Need.POSTGRES, Need.CONNECTIONS, Need.CONNECTION_CAP, Need.MANAGEMENT)
