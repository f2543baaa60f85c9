"""The WebSocket API: the template's routes and authorizer (api.py), the gateway on the ``websockets`` library,
API Gateway's events, the open connections, and the management API the push function posts through."""
