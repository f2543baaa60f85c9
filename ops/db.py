"""bin/db/*: the PostgreSQL scripts of the notes (the users table), and linking users to Cognito."""

import argparse
import sys

import psycopg2

from ops.cli import Command, confirm, dispatch
from ops.target import ScriptError, Target
from tooling.cognito import sync_cognito_user_ids
from tooling.cognito_links import Outcome
from tooling.paths import SEED_SQL, schema_files
from tooling.postgres_admin import create_database, database_name, drop_database, redact, run_sql_files


def create(target: Target, _args: argparse.Namespace) -> None:
    url = target.require_connection_url()
    created = create_database(url)
    print(f"{'created database' if created else 'database exists:'} {database_name(url)} ({redact(url)})")


def drop(target: Target, args: argparse.Namespace) -> None:
    url = target.require_connection_url()
    confirm(f"Drop database {database_name(url)} ({target.name})? This deletes every user profile.", args.yes)
    dropped = drop_database(url)
    print(f"{'dropped database' if dropped else 'no database to drop:'} {database_name(url)}")


def schema_load(target: Target, _args: argparse.Namespace) -> None:
    url = target.require_connection_url()
    files = schema_files()
    run_sql_files(url, *files)
    print(f"loaded {', '.join(f.name for f in files)} into {database_name(url)}")


def seed(target: Target, _args: argparse.Namespace) -> None:
    url = target.require_connection_url()
    before = _user_count(url)
    run_sql_files(url, SEED_SQL)
    after = _user_count(url)
    print(f"loaded {SEED_SQL.name} into {database_name(url)}: {after - before} user(s) added, {after} in all")


OUTCOME_ORDER = [Outcome.ALREADY_LINKED, Outcome.LINKED, Outcome.CONFLICT]


def update_cognito_user_ids(target: Target, _args: argparse.Namespace) -> None:
    """Links by verified email (tooling/cognito_links.py); any conflict, after linking the others, exits 1."""
    report = sync_cognito_user_ids(
        target.client("cognito-idp"), target.require_user_pool_id(), target.require_connection_url()
    )
    # Conflicts last, next to the summary: they are what the operator must act on.
    for link in sorted(report.links, key=lambda link: (OUTCOME_ORDER.index(link.outcome), link.user.username)):
        user = link.user
        detail = f"-> @{link.profile.handle}" if link.profile else f"({link.reason})"
        print(f"{link.outcome:<14}  {user.username:<16} {user.sub:<36}  {user.email or '-'} {detail}")
    print(
        f"{len(report.linked)} linked, {len(report.already_linked)} already linked, "
        f"{len(report.conflicts)} conflict(s) in Cognito pool {target.user_pool_id}"
    )
    if report.conflicts:
        raise ScriptError(f"{len(report.conflicts)} Cognito user(s) not linked: see the conflicts above")


def setup(target: Target, args: argparse.Namespace) -> None:
    """drop, create, schema-load, seed, update_cognito_user_ids: a fresh users table, linked to Cognito."""
    drop(target, args)
    create(target, args)
    schema_load(target, args)
    seed(target, args)
    if target.user_pool_id:
        update_cognito_user_ids(target, args)
    else:
        print("no Cognito user pool configured (AWS_COGNITO_USER_POOL_ID): users left unlinked")


def _user_count(url: str) -> int:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM users")
            (count,) = cursor.fetchone()
    except psycopg2.errors.UndefinedTable:
        raise ScriptError("the users table does not exist: run bin/db/schema-load first") from None
    finally:
        connection.close()
    return count


def _confirm_option(cli: argparse.ArgumentParser) -> None:
    cli.add_argument("--yes", action="store_true", help="do not ask before dropping the database")


COMMANDS = {
    "create": Command(create, "Create the database of the connection URL unless it exists."),
    "drop": Command(drop, "Drop the database of the connection URL (asks first).", _confirm_option),
    "schema-load": Command(schema_load, "Create the users table (db/schema.sql, db/migrations/); safe to rerun."),
    "seed": Command(seed, "Insert the seed users (db/seed.sql); safe to run again."),
    "setup": Command(setup, setup.__doc__ or "", _confirm_option),
    "update_cognito_user_ids": Command(
        update_cognito_user_ids,
        "Link each profile without a Cognito user to the pool user whose verified email is the profile's; never"
        " changes a link. Prints every pool user's outcome; exits 1 if any is a conflict (the others are linked).",
    ),
}

if __name__ == "__main__":
    sys.exit(dispatch("bin/db", COMMANDS))
