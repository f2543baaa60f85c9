"""WebSocket $connect authorizer: the Cognito access token of ``?token=`` to a Cruddur user, as an IAM policy."""

from messaging.websocket.authorizer import authorizer_handler

lambda_handler = authorizer_handler()
