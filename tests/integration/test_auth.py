"""Who may call: the authorizer's verified identity must map to a registered user."""

import pytest

from tests.api_client import ApiClient
from tests.conftest import TestUser

ROUTES = [
    ("GET", "/api/messages/6f0a2d3e-1f53-4e4b-9d1c-8a3c2b7e0001", None),
    ("GET", "/api/message_groups", None),
    ("POST", "/api/messages", '{"message_group_uuid": "6f0a2d3e-1f53-4e4b-9d1c-8a3c2b7e0001", "message": "x"}'),
    ("POST", "/api/message_groups", '{"handle": "bayko", "message": "x"}'),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_a_request_without_verified_claims_is_401(api: ApiClient, method: str, path: str, body: str | None) -> None:
    response = api.request(method, path, None, body=body)
    assert (response.status, response.error) == (401, "unauthorized")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_a_valid_identity_without_a_profile_is_403(
    api: ApiClient, new_user, method: str, path: str, body: str | None
) -> None:
    unlinked = new_user(registered=False)
    response = api.request(method, path, TestUser("", "", "", sub=unlinked.sub), body=body)
    assert (response.status, response.error) == (403, "user_not_registered")
