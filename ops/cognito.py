"""bin/cognito/*: the user pool's users, and access tokens for local users."""

import argparse
import sys

from botocore.exceptions import ClientError

from ops.cli import Command, dispatch
from ops.target import LOCAL, ScriptError, Target
from tooling.cognito import LOCAL_PASSWORD, UserPool, access_token
from tooling.stack_state import local_stack_state


def list_users(target: Target, args: argparse.Namespace) -> None:
    pool_id = target.require_user_pool_id()
    pages = (
        target.client("cognito-idp")
        .get_paginator("list_users")
        .paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": args.page_size})
    )
    count = 0
    for page in pages:
        for user in page["Users"]:
            count += 1
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            sub, email = attributes.get("sub", "-"), attributes.get("email", "-")
            # Whether the email is verified decides whether bin/db/update_cognito_user_ids may link the user.
            verified = "verified" if attributes.get("email_verified", "false").lower() == "true" else "unverified"
            print(f"{user['Username']:<14} {sub:<36}  {email:<28} {verified:<10} {user['UserStatus']}")
    print(f"{count} user(s) in pool {pool_id}", file=sys.stderr)


def token(target: Target, args: argparse.Namespace) -> None:
    if target.name != LOCAL:
        raise ScriptError("tokens are for local users only; sign in through the app for prod")
    state = local_stack_state()
    pool = UserPool(target.region, state["user_pool_id"], state["user_pool_client_id"])
    try:
        tokens = access_token(target.client("cognito-idp"), pool, args.username, args.password)
    except ClientError as error:
        reasons = {"NotAuthorizedException": "wrong password", "UserNotFoundException": "no such user in the pool"}
        reason = reasons.get(error.response["Error"]["Code"])
        if reason is None:
            raise
        raise ScriptError(f"cannot sign in as {args.username!r}: {reason}") from None
    print(tokens["IdToken" if args.id_token else "AccessToken"])


def _list_options(cli: argparse.ArgumentParser) -> None:
    cli.add_argument("--page-size", type=int, default=60, help="users per ListUsers call (max 60)")


def _token_options(cli: argparse.ArgumentParser) -> None:
    cli.add_argument("username", help="the Cognito username (a seeded user's is their handle, e.g. andrewbrown)")
    cli.add_argument("--password", default=LOCAL_PASSWORD, help="defaults to the seeded users' local password")
    cli.add_argument("--id-token", action="store_true", help="print the ID token instead (the API refuses it)")


COMMANDS = {
    "list-users": Command(list_users, "List the users of the Cognito pool, page by page.", _list_options),
    "token": Command(token, "Print an access token for a local user.", _token_options, local_only=True),
}

if __name__ == "__main__":
    sys.exit(dispatch("bin/cognito", COMMANDS))
