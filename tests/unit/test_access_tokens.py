"""Only Cognito access tokens name a caller: in the claims API Gateway hands the handlers, and in every place
that checks a token itself (the layer's verifier under `sam local` and for the WebSocket API, the local gateway).

The HTTP API JWT authorizer checks ``iss`` and ``aud`` or ``client_id`` against the app client, which a Cognito ID
token (``aud`` = the client) passes too; it is told apart by the scope the routes ask for and by ``token_use``.
"""

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.http_api.gateway import authorization_scopes
from messaging.api.request import HttpRequest
from messaging.core.errors import Unauthenticated
from messaging.core.tokens import AccessTokenVerifier, require_scope, token_scopes
from tooling.template import Template

TEMPLATE = Template(parameter_overrides={"UserPoolId": "us-east-1_x", "UserPoolClientId": "c"})
COGNITO_SCOPE = "aws.cognito.signin.user.admin"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_unit"
CLIENT = "unitclient"
SUB = "5bc8fbbc-bde5-4099-8164-d8399f767c45"


def access_claims(**overrides: Any) -> dict[str, Any]:
    """An access token's claims as Cognito issues them from InitiateAuth."""
    now = int(time.time())
    claims = {
        "sub": SUB,
        "iss": ISSUER,
        "client_id": CLIENT,
        "origin_jti": "8f3b2c1a-6d4e-4f5a-9b8c-7d6e5f4a3b2c",
        "token_use": "access",
        "scope": COGNITO_SCOPE,
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "jti": "4b1e6f0a-3c2d-4e5f-8a9b-0c1d2e3f4a5b",
        "username": "andrewbrown",
    }
    return {**claims, **overrides}


def id_claims() -> dict[str, Any]:
    """An ID token's claims of the same sign-in: aud instead of client_id, token_use=id, no scope."""
    now = int(time.time())
    return {
        "sub": SUB,
        "iss": ISSUER,
        "aud": CLIENT,
        "email_verified": True,
        "token_use": "id",
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "cognito:username": "andrewbrown",
        "email": "andrew@cruddur.example",
        "origin_jti": "8f3b2c1a-6d4e-4f5a-9b8c-7d6e5f4a3b2c",
        "jti": "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    }


def as_api_gateway_claims(claims: dict[str, Any]) -> dict[str, str]:
    # API Gateway hands every claim to the function as a string.
    return {name: str(value).lower() if isinstance(value, bool) else str(value) for name, value in claims.items()}


def caller_of(claims: dict[str, Any]) -> str:
    event = {"headers": {}, "requestContext": {"authorizer": {"jwt": {"claims": claims, "scopes": None}}}}
    return HttpRequest(event, None).caller_id  # type: ignore[arg-type]


def refusal_of(claims: dict[str, Any]) -> str:
    with pytest.raises(Unauthenticated) as raised:
        caller_of(claims)
    assert raised.value.code == "unauthorized"
    return raised.value.message


# The claims the JWT authorizer verified, as a handler reads them.


def test_an_access_token_s_claims_name_the_caller() -> None:
    assert caller_of(as_api_gateway_claims(access_claims())) == SUB


def test_an_id_token_s_claims_name_no_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    assert "access token" in refusal_of(as_api_gateway_claims(id_claims()))


@pytest.mark.parametrize(
    "claims",
    [
        access_claims(token_use="id"),
        access_claims(token_use="refresh"),
        {k: v for k, v in access_claims().items() if k != "token_use"},
        # token_use says access, but only an ID token has aud and no client_id
        {**{k: v for k, v in access_claims().items() if k != "client_id"}, "aud": CLIENT},
        access_claims(client_id=""),
        access_claims(sub=""),
    ],
    ids=["token_use id", "token_use refresh", "no token_use", "no client_id", "empty client_id", "empty sub"],
)
def test_claims_that_are_not_an_access_token_s_are_401(claims: dict[str, Any]) -> None:
    refusal_of(as_api_gateway_claims(claims))


# Scopes: API Gateway's rule (at least one of the route's scopes, from `scope` or `scp`).


@pytest.mark.parametrize(
    ("claims", "scopes"),
    [
        ({"scope": COGNITO_SCOPE}, {COGNITO_SCOPE}),
        ({"scope": f"openid {COGNITO_SCOPE} email"}, {"openid", COGNITO_SCOPE, "email"}),
        ({"scp": ["a", "b"]}, {"a", "b"}),
        ({"scp": "a b"}, {"a", "b"}),
        ({}, set()),
        ({"scope": 3}, set()),
    ],
)
def test_token_scopes_are_read_from_scope_or_scp(claims: dict[str, Any], scopes: set[str]) -> None:
    assert token_scopes(claims) == scopes


def test_one_of_the_required_scopes_is_enough() -> None:
    require_scope({"scope": "other " + COGNITO_SCOPE}, [COGNITO_SCOPE, "unused"])
    require_scope({}, [])  # a route without scopes asks for none
    with pytest.raises(Unauthenticated):
        require_scope({"scope": "openid email"}, [COGNITO_SCOPE])
    with pytest.raises(Unauthenticated):
        require_scope({}, [COGNITO_SCOPE])


# The verifier, with a real signature and key set (served from memory: PyJWKClient reads only http(s) URLs).


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def verifier_of(key: rsa.RSAPrivateKey, scopes: list[str]) -> AccessTokenVerifier:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    key_set = {"keys": [{**public, "kid": "unit", "alg": "RS256", "use": "sig"}]}
    verifier = AccessTokenVerifier("https://cognito-idp.invalid/jwks.json", ISSUER, [CLIENT], scopes=scopes)
    verifier._keys.fetch_data = lambda: key_set  # type: ignore[method-assign]
    return verifier


def sign(claims: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "unit"})


def test_the_verifier_asks_for_the_scope(signing_key: rsa.RSAPrivateKey) -> None:
    verifier = verifier_of(signing_key, [COGNITO_SCOPE])
    assert verifier.claims(sign(access_claims(), signing_key))["sub"] == SUB
    without_scope = {k: v for k, v in access_claims().items() if k != "scope"}
    for refused in (without_scope, access_claims(scope="openid"), id_claims()):
        with pytest.raises(Unauthenticated):
            verifier.claims(sign(refused, signing_key))
    # Without scopes configured, the scope rule is off; the other rules still refuse the ID token.
    unscoped = verifier_of(signing_key, [])
    assert unscoped.claims(sign(without_scope, signing_key))["sub"] == SUB
    with pytest.raises(Unauthenticated):
        unscoped.claims(sign(id_claims(), signing_key))


# The template: the authorizer asks for the scope, and everything that checks tokens itself asks for the same.


def test_every_http_route_asks_for_the_access_token_scope() -> None:
    scopes = authorization_scopes(TEMPLATE)
    routed = {f.logical_id for f in TEMPLATE.functions.values() if f.http_routes}
    assert set(scopes) == routed
    assert all(scopes[function] == [COGNITO_SCOPE] for function in routed), scopes


def test_the_functions_ask_for_the_authorizer_s_scopes() -> None:
    (api,) = TEMPLATE.resources_of_type("AWS::Serverless::HttpApi").values()
    (authorizer,) = api["Properties"]["Auth"]["Authorizers"].values()
    for function in TEMPLATE.functions.values():
        assert function.environment["COGNITO_SCOPES"].split() == authorizer["AuthorizationScopes"], function
