"""Cognito administration: the local user pool and app client on a moto server, users in it, and their links.

``sync_cognito_user_ids`` is the notes' update_cognito_user_ids: it links PostgreSQL users to Cognito users by
handle (the Cognito username), page by page.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg2
from botocore.exceptions import ClientError

POOL_NAME = "cruddur-local"
CLIENT_NAME = "cruddur-web"
# Every seeded local user signs in with this password (documented in the README).
LOCAL_PASSWORD = "Cruddur!Local1"  # noqa: S105 - a published local-only password


@dataclass(frozen=True)
class UserPool:
    region: str
    pool_id: str
    client_id: str

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    def jwks_url(self, moto_url: str) -> str:
        # moto's tokens name AWS's issuer, but its keys are served by moto itself.
        return f"{moto_url}/{self.pool_id}/.well-known/jwks.json"


def ensure_user_pool(cognito: Any, region: str, pool_name: str = POOL_NAME) -> UserPool:
    """The local pool and its client, created unless they exist (safe to run again on the same server)."""
    pools = [p for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60) for p in page["UserPools"]]
    pool_id = next((p["Id"] for p in pools if p["Name"] == pool_name), None)
    if pool_id is None:
        pool_id = cognito.create_user_pool(
            PoolName=pool_name,
            UsernameAttributes=[],
            AutoVerifiedAttributes=["email"],
            Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
        )["UserPool"]["Id"]
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = next((c["ClientId"] for c in clients if c["ClientName"] == CLIENT_NAME), None)
    if client_id is None:
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=CLIENT_NAME,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
    return UserPool(region, pool_id, client_id)


def ensure_users(cognito: Any, pool: UserPool, users: Iterable[tuple[str, str]], password: str) -> list[str]:
    """Creates (handle, email) users with a permanent password unless they exist; returns the handles created."""
    created = []
    for handle, email in users:
        try:
            cognito.admin_create_user(
                UserPoolId=pool.pool_id,
                Username=handle,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
                MessageAction="SUPPRESS",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "UsernameExistsException":
                raise
        else:
            created.append(handle)
        cognito.admin_set_user_password(UserPoolId=pool.pool_id, Username=handle, Password=password, Permanent=True)
    return created


def cognito_users(cognito: Any, pool_id: str) -> dict[str, str]:
    """Username -> sub of every user in the pool (all pages)."""
    result = {}
    for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
        for user in page["Users"]:
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            result[user["Username"]] = attributes["sub"]
    return result


def sync_cognito_user_ids(cognito: Any, pool_id: str, connection_url: str) -> dict[str, str]:
    """Sets users.cognito_user_id from the pool, matching handle to username; returns the handles it linked."""
    linked = {}
    with psycopg2.connect(connection_url) as connection, connection.cursor() as cursor:
        for handle, sub in cognito_users(cognito, pool_id).items():
            # A sub linked to another handle before (a re-created pool) is released first: the column is unique.
            cursor.execute(
                "UPDATE users SET cognito_user_id = NULL WHERE cognito_user_id = %s AND handle <> %s", (sub, handle)
            )
            cursor.execute("UPDATE users SET cognito_user_id = %s WHERE handle = %s", (sub, handle))
            if cursor.rowcount:
                linked[handle] = sub
    connection.close()
    return linked


def access_token(cognito: Any, pool: UserPool, username: str, password: str) -> dict[str, str]:
    """Signs in with USER_PASSWORD_AUTH, as the web client does; returns AccessToken, IdToken, RefreshToken."""
    response = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return response["AuthenticationResult"]
