"""Prints a Cognito access token for a user of the local stack (signs in with USER_PASSWORD_AUTH)."""

import argparse
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from local.cognito import LOCAL_PASSWORD, UserPool, access_token
from ops.local_state import StackNotRunning, local_stack_state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bin/cognito/token", description=__doc__)
    parser.add_argument("username", help="the user's handle, e.g. andrewbrown")
    parser.add_argument("--password", default=LOCAL_PASSWORD, help="defaults to the seeded users' local password")
    parser.add_argument("--id-token", action="store_true", help="print the ID token instead (the API refuses it)")
    args = parser.parse_args(argv)
    try:
        state = local_stack_state()
        cognito = boto3.client(
            "cognito-idp",
            region_name=state["region"],
            endpoint_url=state["aws_endpoint_url"],
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto ignores credentials
        )
        pool = UserPool(state["region"], state["user_pool_id"], state["user_pool_client_id"])
        tokens = access_token(cognito, pool, args.username, args.password)
    except StackNotRunning as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ClientError as error:
        print(f"error: cannot sign in as {args.username}: {error.response['Error']['Message']}", file=sys.stderr)
        return 1
    except BotoCoreError as error:
        print(f"error: the local stack does not answer ({error}); is 'make dev' running?", file=sys.stderr)
        return 1
    print(tokens["IdToken" if args.id_token else "AccessToken"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
