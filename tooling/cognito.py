"""Cognito administration: the local user pool and app client on a moto server, users in it, and their links.

``sync_cognito_user_ids`` is the notes' update_cognito_user_ids: it links profiles that have no Cognito user yet
to the pool user with the same verified email (the rule is tooling/cognito_links.py), never by username.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg2
from botocore.exceptions import ClientError

from tooling.cognito_links import Link, Outcome, PoolUser, Profile, decide_links

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
    return {user.username: user.sub for user in pool_users(cognito, pool_id)}


def pool_users(cognito: Any, pool_id: str) -> list[PoolUser]:
    """Every user in the pool (all pages), with the attributes the linking rule reads."""
    result = []
    for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
        for user in page["Users"]:
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            verified = attributes.get("email_verified", "false").lower() == "true"
            result.append(PoolUser(user["Username"], attributes["sub"], attributes.get("email"), verified))
    return result


@dataclass(frozen=True)
class LinkReport:
    links: list[Link]

    def _with(self, outcome: Outcome) -> list[Link]:
        return [link for link in self.links if link.outcome is outcome]

    @property
    def linked(self) -> list[Link]:
        return self._with(Outcome.LINKED)

    @property
    def already_linked(self) -> list[Link]:
        return self._with(Outcome.ALREADY_LINKED)

    @property
    def conflicts(self) -> list[Link]:
        return self._with(Outcome.CONFLICT)


def sync_cognito_user_ids(cognito: Any, pool_id: str, connection_url: str) -> LinkReport:
    """Links each unlinked profile to the pool user with its verified email, in one transaction; never changes
    or releases a link. Conflicts are reported in the result, not raised: the other users are still linked."""
    users = pool_users(cognito, pool_id)  # before the transaction: its row locks are held only while it decides
    connection = psycopg2.connect(connection_url)
    try:
        with connection, connection.cursor() as cursor:
            # Every row locked, in one order: a second run waits here, then decides on what the first committed.
            cursor.execute("SELECT uuid::text, handle, email, cognito_user_id FROM users ORDER BY uuid FOR UPDATE")
            profiles = [Profile(*row) for row in cursor.fetchall()]
            links = []
            for decided in decide_links(users, profiles):
                links.append(_write(cursor, decided) if decided.outcome is Outcome.LINKED else decided)
    finally:
        connection.close()
    return LinkReport(links)


def _write(cursor: Any, link: Link) -> Link:
    assert link.profile is not None  # a LINKED decision names its profile
    # The condition is the guarantee, whatever the locks: a link that exists is never overwritten.
    cursor.execute("SAVEPOINT link")
    try:
        cursor.execute(
            "UPDATE users SET cognito_user_id = %s WHERE uuid = %s AND cognito_user_id IS NULL",
            (link.user.sub, link.profile.uuid),
        )
    except psycopg2.errors.UniqueViolation:
        # A profile inserted after our SELECT already carries this sub (the column is unique).
        cursor.execute("ROLLBACK TO SAVEPOINT link")
        return link.conflict("another profile was linked to this Cognito user during the run")
    if cursor.rowcount != 1:
        return link.conflict(f"profile @{link.profile.handle} was linked or removed during the run")
    return link


def access_token(cognito: Any, pool: UserPool, username: str, password: str) -> dict[str, str]:
    """Signs in with USER_PASSWORD_AUTH, as the web client does; returns AccessToken, IdToken, RefreshToken."""
    response = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return response["AuthenticationResult"]
