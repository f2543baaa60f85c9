"""WebSocket $connect authorizer: the Cognito access token of ``?token=`` checked; its ``sub`` allowed, as a policy."""

from messaging.realtime.authorizer import authorizer_handler

lambda_handler = authorizer_handler()
