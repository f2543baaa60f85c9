"""The local gateway checks bearer tokens exactly as the HTTP API JWT authorizer does, before any handler runs."""

import base64
import gzip
import hashlib
import hmac
import json
import time
from importlib import resources

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.dev_process import DevStack
from tooling.cognito import LOCAL_PASSWORD, UserPool, access_token, ensure_user_pool, ensure_users
from tooling.http_client import call

UNAUTHORIZED = {"message": "Unauthorized"}


def moto_signing_key() -> jwt.PyJWK:
    """moto signs every pool's tokens with one published key: with it a test can mint tokens the JWKS accepts."""
    raw = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
    return jwt.PyJWK(json.loads(gzip.decompress(raw)))


def claims_for(stack: DevStack, **overrides: object) -> dict:
    valid = jwt.decode(stack.token("andrewbrown"), options={"verify_signature": False})
    return {**valid, **overrides}


def sign(claims: dict, key: object, kid: str = "dummy") -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def refused(stack: DevStack, header: str | None) -> bool:
    headers = {} if header is None else {"Authorization": header}
    result = call("GET", f"{stack.api_url}/api/message_groups", headers=headers)
    return (result.status, result.body) == (401, UNAUTHORIZED)


def test_a_valid_access_token_is_accepted(dev_stack: DevStack) -> None:
    assert call("GET", f"{dev_stack.api_url}/api/message_groups", token=dev_stack.token("andrewbrown")).status == 200


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic YW5keTpwYXNz", "Bearer not.a.jwt", "Bearer x"]
)
def test_missing_and_malformed_tokens_are_401(dev_stack: DevStack, header: str | None) -> None:
    assert refused(dev_stack, header)


def test_an_expired_token_is_401(dev_stack: DevStack) -> None:
    now = int(time.time())
    expired = sign(claims_for(dev_stack, iat=now - 7200, exp=now - 3600), moto_signing_key().key)
    still_valid = sign(claims_for(dev_stack, iat=now, exp=now + 600), moto_signing_key().key)
    assert refused(dev_stack, f"Bearer {expired}")
    assert not refused(dev_stack, f"Bearer {still_valid}")  # the same minting, in date, passes


def test_a_not_yet_valid_token_is_401(dev_stack: DevStack) -> None:
    now = int(time.time())
    assert refused(dev_stack, f"Bearer {sign(claims_for(dev_stack, nbf=now + 3600), moto_signing_key().key)}")


def test_a_token_signed_by_another_key_is_401(dev_stack: DevStack) -> None:
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert refused(dev_stack, f"Bearer {sign(claims_for(dev_stack), impostor)}")


def test_an_unknown_key_id_is_401(dev_stack: DevStack) -> None:
    assert refused(dev_stack, f"Bearer {sign(claims_for(dev_stack), moto_signing_key().key, kid='rotated-away')}")


def test_alg_none_is_401(dev_stack: DevStack) -> None:
    unsigned = b64(b'{"alg":"none","typ":"JWT","kid":"dummy"}') + "." + b64(json.dumps(claims_for(dev_stack)).encode())
    assert refused(dev_stack, f"Bearer {unsigned}.")


def test_hs256_signed_with_the_public_key_is_401(dev_stack: DevStack) -> None:
    public_pem = (
        moto_signing_key()
        .key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = (
        b64(b'{"alg":"HS256","typ":"JWT","kid":"dummy"}') + "." + b64(json.dumps(claims_for(dev_stack)).encode())
    )
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert refused(dev_stack, f"Bearer {signing_input}.{b64(signature)}")


def test_an_id_token_is_401(dev_stack: DevStack) -> None:
    assert refused(dev_stack, f"Bearer {dev_stack.tokens('andrewbrown')['IdToken']}")


def test_a_token_of_another_app_client_is_401(dev_stack: DevStack) -> None:
    assert refused(dev_stack, f"Bearer {sign(claims_for(dev_stack, client_id='someone-else'), moto_signing_key().key)}")


def test_a_token_of_another_user_pool_is_401(dev_stack: DevStack) -> None:
    cognito = dev_stack.cognito()
    other_id = cognito.create_user_pool(PoolName="another-pool")["UserPool"]["Id"]
    other_client = cognito.create_user_pool_client(
        UserPoolId=other_id, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    other = UserPool(dev_stack.pool.region, other_id, other_client)
    ensure_users(cognito, other, [("andrewbrown", "andrew@cruddur.example")], LOCAL_PASSWORD)
    foreign = access_token(cognito, other, "andrewbrown", LOCAL_PASSWORD)["AccessToken"]
    assert refused(dev_stack, f"Bearer {foreign}")


def test_a_valid_token_without_a_profile_is_403(dev_stack: DevStack) -> None:
    cognito = dev_stack.cognito()
    pool = ensure_user_pool(cognito, dev_stack.pool.region)
    ensure_users(cognito, pool, [("ghost", "ghost@cruddur.example")], LOCAL_PASSWORD)
    result = call("GET", f"{dev_stack.api_url}/api/message_groups", token=dev_stack.token("ghost"))
    assert (result.status, result.body["error"]) == (403, "user_not_registered")


# The routes ask for the access token's scope (the template's AuthorizationScopes), as API Gateway does: without
# it even a correctly signed access token of this pool and client is refused; one of several scopes is enough.

COGNITO_SCOPE = "aws.cognito.signin.user.admin"


def test_local_access_tokens_carry_the_scope_cognito_gives(dev_stack: DevStack) -> None:
    claims = jwt.decode(dev_stack.token("andrewbrown"), options={"verify_signature": False})
    assert (claims["token_use"], claims["scope"]) == ("access", COGNITO_SCOPE)
    id_claims = jwt.decode(dev_stack.tokens("andrewbrown")["IdToken"], options={"verify_signature": False})
    assert "scope" not in id_claims


def _without_scope(stack: DevStack) -> dict:
    return {name: value for name, value in claims_for(stack).items() if name != "scope"}


@pytest.mark.parametrize("scope", [None, "", "openid", "openid email", "aws.cognito.signin.user"])
def test_an_access_token_without_the_scope_is_401(dev_stack: DevStack, scope: str | None) -> None:
    claims = _without_scope(dev_stack) if scope is None else claims_for(dev_stack, scope=scope)
    assert refused(dev_stack, f"Bearer {sign(claims, moto_signing_key().key)}")


def test_the_scope_among_others_is_enough(dev_stack: DevStack) -> None:
    claims = claims_for(dev_stack, scope=f"openid {COGNITO_SCOPE} email")
    assert not refused(dev_stack, f"Bearer {sign(claims, moto_signing_key().key)}")


def test_every_route_asks_for_the_scope(dev_stack: DevStack) -> None:
    token = sign(_without_scope(dev_stack), moto_signing_key().key)
    group = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
    for method, path in [
        ("GET", f"/api/messages/{group}"),
        ("GET", "/api/message_groups"),
        ("POST", "/api/messages"),
        ("POST", "/api/message_groups"),
        ("PUT", f"/api/message_groups/{group}/read"),
    ]:
        result = call(method, f"{dev_stack.api_url}{path}", token=token, body=None if method == "GET" else {})
        assert (result.status, result.body) == (401, UNAUTHORIZED), f"{method} {path}"


def test_the_websocket_api_asks_for_the_same_scope(dev_stack: DevStack) -> None:
    # Imported here: the real-time tests' module opens WebSocket clients; only its upgrade probe is needed.
    from tests.e2e.test_realtime import upgrade_status  # noqa: PLC0415

    without = sign(_without_scope(dev_stack), moto_signing_key().key)
    assert upgrade_status(f"{dev_stack.websocket_url}?token={without}") == (401, {"message": "Unauthorized"})
    assert upgrade_status(f"{dev_stack.websocket_url}?token={dev_stack.token('andrewbrown')}")[0] == 101
