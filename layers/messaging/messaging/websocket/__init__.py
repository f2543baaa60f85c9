"""The WebSocket API's edge: the $connect authorizer and the $connect, $disconnect and $default routes.

Nothing is imported here: the authorizer needs PyJWT, which the route functions must not pay for at cold start.
"""
