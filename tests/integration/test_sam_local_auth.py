"""A request without the JWT authorizer's claims: checked by the layer under `sam local`, refused everywhere else.

In AWS the HTTP API authorizer always runs first, so an event without claims means something is wrong: a valid
bearer token in its headers must not be enough. SAM CLI (AWS_SAM_LOCAL=true) emulates no JWT authorizer, so there
the layer checks the token itself.
"""

from collections.abc import Callable

import pytest

from local.stack import EmulatedStack
from tests.api_client import ApiClient
from tests.conftest import SetEnvironment, TestUser
from tests.http_api_events import http_api_event
from tooling.cognito import LOCAL_PASSWORD, access_token, cognito_users, ensure_user_pool, ensure_users

PATH = "/api/message_groups"


@pytest.fixture
def signed_in(
    stack: EmulatedStack, new_user: Callable[..., TestUser], database, function_environment: SetEnvironment
) -> str:
    """A real access token of a registered user, and the functions pointed at its pool as env.local.json does."""
    cognito = stack.client("cognito-idp")
    pool = ensure_user_pool(cognito, stack.region, pool_name="sam-local-tests")
    user = new_user()
    ensure_users(cognito, pool, [(user.handle, f"{user.handle}@test.example")], LOCAL_PASSWORD)
    with database.cursor() as cursor:
        sub = cognito_users(cognito, pool.pool_id)[user.handle]
        cursor.execute("UPDATE users SET cognito_user_id = %s WHERE uuid = %s", (sub, user.uuid))
    function_environment(
        COGNITO_JWKS_URL=pool.jwks_url(stack.moto.url), COGNITO_ISSUER=pool.issuer, COGNITO_CLIENT_ID=pool.client_id
    )
    return access_token(cognito, pool, user.handle, LOCAL_PASSWORD)["AccessToken"]


def without_claims(api: ApiClient, token: str) -> int:
    (function,) = [
        f
        for f in api.stack.template.functions.values()
        if any(r.path == PATH and r.method == "GET" for r in f.http_routes)
    ]
    (route,) = function.http_routes
    event = http_api_event(route, PATH, {}, headers={"authorization": f"Bearer {token}"}, claims=None)
    return api.stack.functions.invoke(function.logical_id, event)["statusCode"]


@pytest.mark.parametrize("sam_local", [None, "false", "1", "TRUE"])
def test_outside_sam_local_a_valid_token_without_claims_is_401(
    api: ApiClient, signed_in: str, function_environment: SetEnvironment, sam_local: str | None
) -> None:
    function_environment(AWS_SAM_LOCAL=sam_local)
    assert without_claims(api, signed_in) == 401


def test_under_sam_local_the_same_request_is_served(
    api: ApiClient, signed_in: str, function_environment: SetEnvironment
) -> None:
    function_environment(AWS_SAM_LOCAL="true")
    assert without_claims(api, signed_in) == 200
