"""What a moderator's resolution does beyond the report: delete the message, disable the sender, close sockets.

Each is safe to do again, so a resolution that failed halfway (the report then stays open) completes on a rerun.
The layer's modules are imported inside the functions: ops/moderation.py sets their environment first.
"""

import psycopg2
from botocore.exceptions import ClientError

from ops.target import ScriptError, Target


def delete_message(group_uuid: str, message_uuid: str, sender_uuid: str) -> bool:
    """Deletes the message as its sender would (the layer's one conditional write: a tombstone, pushed and
    counted through the stream as any deletion). Returns False if it was already deleted."""
    from messaging.conversations import messages  # noqa: PLC0415
    from messaging.core.domain import utc_timestamp  # noqa: PLC0415

    try:
        messages.delete_message(group_uuid, message_uuid, sender_uuid, utc_timestamp())
    except messages.ChangeRefused as refused:
        if refused.found is not None and refused.found.is_deleted:
            return False
        # Reports name messages that exist, by their sender: anything else is data to look at, not to force.
        raise ScriptError(f"message {message_uuid} of group {group_uuid} is not {sender_uuid}'s to delete") from None
    return True


def disable_user(target: Target, user_uuid: str, shown_as: str) -> str:
    """Disables the user's Cognito user (found through ``users.cognito_user_id``) and signs them out everywhere
    (their refresh tokens stop working); returns the Cognito username."""
    pool_id = target.require_user_pool_id()
    sub = _cognito_sub(target.require_connection_url(), user_uuid, shown_as)
    cognito = target.client("cognito-idp")
    found = cognito.list_users(UserPoolId=pool_id, Filter=f'sub = "{sub}"', Limit=1)["Users"]
    if not found:
        raise ScriptError(f"{shown_as}'s Cognito user {sub} is not in pool {pool_id}")
    username = found[0]["Username"]
    try:
        cognito.admin_user_global_sign_out(UserPoolId=pool_id, Username=username)
    except ClientError as error:
        # A rerun: the user is disabled already, and a disabled user cannot be signed out (nor sign in).
        if error.response["Error"]["Code"] != "NotAuthorizedException":
            raise
    cognito.admin_disable_user(UserPoolId=pool_id, Username=username)
    return str(username)


def _cognito_sub(connection_url: str, user_uuid: str, shown_as: str) -> str:
    connection = psycopg2.connect(connection_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT cognito_user_id FROM users WHERE uuid = %s", (user_uuid,))
            row = cursor.fetchone()
    finally:
        connection.close()
    if row is None:
        raise ScriptError(f"{shown_as} ({user_uuid}) has no profile in PostgreSQL")
    if row[0] is None:
        raise ScriptError(f"{shown_as} has no Cognito user linked (bin/db/update_cognito_user_ids links them)")
    return str(row[0])


def close_connections(user_uuid: str) -> int:
    """Closes every open WebSocket connection of the user (the management API's DeleteConnection, then the item
    goes), as the service closes one past the cap; returns how many there were."""
    from messaging.core.config import ConfigurationError, settings  # noqa: PLC0415
    from messaging.realtime import connections, lifecycle  # noqa: PLC0415

    open_now = connections.connections_of(user_uuid)
    if open_now:
        try:
            _ = settings().websocket_management_url
        except ConfigurationError:
            raise ScriptError(
                "set WEBSOCKET_MANAGEMENT_URL (the WebSocket stage's management endpoint) to close their sockets"
            ) from None
    for connection in open_now:
        lifecycle.close_connection(user_uuid, connection.connection_id, reason="user disabled by a moderator")
    return len(open_now)
