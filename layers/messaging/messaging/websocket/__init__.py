"""The WebSocket API's edge: the $connect authorizer (``authorizer.py``, the token only), $connect
(``connect.py``, the token's sub to a user), and the $disconnect and $default routes (``routes.py``).

Nothing is imported here: the authorizer needs PyJWT, which the route functions must not pay for at cold start,
and $connect psycopg2, which the authorizer, $disconnect and $default must not.
"""
