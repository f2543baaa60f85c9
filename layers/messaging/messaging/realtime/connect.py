"""$connect: the sub the authorizer admitted, to a Cruddur user, whose connection is then stored.

The authorizer only checks the token; this route maps its ``sub`` to a user (``logic.participants.caller``,
cached per warm container, from PostgreSQL) and stores the connection under the user's uuid, so pushes find it,
expiring with the token; past the user's cap of connections the oldest are closed (``realtime/lifecycle.py``).
A valid token without a Cruddur profile is ``UserNotRegistered``: 403 through the one error table, and a
$connect status other than 2xx refuses the connection, so the client sees 403 at the upgrade and nothing is
stored. Kept apart from ``routes.py``: $disconnect and $default must not load PostgreSQL's driver.
"""

from aws_lambda_powertools.metrics import MetricUnit

from messaging.core.errors import Unauthenticated
from messaging.core.observability import metrics
from messaging.people.participants import caller
from messaging.realtime import lifecycle
from messaging.realtime.event import WebSocketRequest
from messaging.realtime.reply import WebSocketReply


def connect(request: WebSocketRequest) -> WebSocketReply:
    """$connect, after the authorizer checked the token: a status other than 2xx refuses the connection."""
    sub = request.sub
    if sub is None:  # the route requires the authorizer: only a misconfigured API gets here
        raise Unauthenticated("The connection carries no authorized sign-in.")
    user = caller(sub)  # UserNotRegistered (403) when the sign-in has no Cruddur profile
    lifecycle.open_connection(
        user.uuid, request.connection_id, request.connected_at, request.token_expires_at, request.client_session
    )
    metrics.add_metric(name="WebSocketConnections", unit=MetricUnit.Count, value=1)
    return WebSocketReply.ok()
