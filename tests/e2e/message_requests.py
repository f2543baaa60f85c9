"""Accepting a message request over HTTP, for e2e tests whose conversations are ordinary ones: every new
conversation is a request until its other member replies or accepts, and its starter may send only a few messages
before that (MessageRequestLimit)."""

from tooling.http_client import call


def accept(api_url: str, token: str, group_uuid: str) -> None:
    """The other member (``token``) accepts the conversation ``group_uuid``."""
    result = call("PUT", f"{api_url}/api/message_groups/{group_uuid}/accept", token=token)
    assert (result.status, result.body) == (200, {"uuid": group_uuid, "request": False}), result.body
