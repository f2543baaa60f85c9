"""bin/ddb, bin/db and bin/cognito run as an operator would, against a `make dev` stack of their own."""

import contextlib
import fcntl
import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from tests.dev_process import DevStack, start_dev_stack
from tooling.cognito import LOCAL_PASSWORD, ensure_users
from tooling.http_client import call
from tooling.paths import PROJECT_ROOT
from tooling.seed import SEED_GROUP_UUID
from tooling.tables import table_definitions
from tooling.template import Template

SCRIPTS = sorted(
    str(p.relative_to(PROJECT_ROOT))
    for p in (PROJECT_ROOT / "bin").rglob("*")
    if p.parent.name != "bin" and p.is_file()
)


@pytest.fixture(scope="module")
def ops_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = start_dev_stack(tmp_path_factory.mktemp("ops"))
    yield stack
    stack.stop()


# Every table of template.yaml (the messages, idempotency and connections tables).
TEMPLATE_TABLES = sorted(definition.name for definition in table_definitions(Template()))
SIGPIPE_STATUS = 128 + signal.SIGPIPE  # what a shell reports for `seq 100000 | head -1`
QUIET_ENDS = {0, SIGPIPE_STATUS}  # how standard tools end when their reader leaves


def environment_for(stack: DevStack | None, env: dict | None = None) -> dict[str, str]:
    """A shell-like environment aimed at ``stack``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "CONNECTION_URL"}
    # An operator's shell buffers Python's stdout; CI may not (PYTHONUNBUFFERED), which hides what a pipe does.
    environment.pop("PYTHONUNBUFFERED", None)
    environment["CRUDDUR_LOCAL_STATE"] = str(stack.state_dir) if stack else "/nonexistent"
    environment.update(env or {})
    return environment


def script(stack: DevStack | None, path: str, *args: str, answer: str | None = None, env: dict | None = None):
    """Runs bin/<path> in a shell-like environment aimed at ``stack``."""
    return subprocess.run(  # noqa: S603 - our own scripts
        [str(PROJECT_ROOT / "bin" / path), *args],
        input=answer,
        capture_output=True,
        text=True,
        env=environment_for(stack, env),
        timeout=120,
        check=False,
    )


def scanned(stack: DevStack) -> list[dict]:
    result = script(stack, "ddb/scan")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_every_script_of_spec_section_7_exists_and_has_help() -> None:
    assert (
        sorted(
            [f"bin/ddb/{n}" for n in ("schema-load", "list-tables", "drop", "seed", "scan")]
            + [f"bin/ddb/patterns/{n}" for n in ("get-conversation", "list-conversations")]
            + [f"bin/db/{n}" for n in ("create", "drop", "schema-load", "seed", "setup", "update_cognito_user_ids")]
            + [f"bin/cognito/{n}" for n in ("list-users", "token")]
            + [f"bin/moderation/{n}" for n in ("reports", "resolve")]
        )
        == SCRIPTS
    )
    for path in SCRIPTS:
        result = script(None, path.removeprefix("bin/"), "--help")
        assert result.returncode == 0, (path, result.stderr)
        assert result.stdout.startswith("usage: "), path


@pytest.mark.parametrize("path", ["ddb/list-tables", "ddb/scan", "db/create", "cognito/list-users"])
def test_without_a_running_stack_a_script_says_so_in_one_line(path: str) -> None:
    result = script(None, path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"bin/{path}: error: the local stack is not running: start it with 'make dev'"
    ]


@pytest.mark.parametrize("path", SCRIPTS)
def test_output_into_a_pipe_nobody_reads_ends_quietly(path: str) -> None:
    # `bin/... --help | true`: the reader is gone before the script writes its first byte.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        process = subprocess.Popen(  # noqa: S603 - our own scripts
            [str(PROJECT_ROOT / path), "--help"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=environment_for(None),
        )
    finally:
        os.close(write_end)
    _, errors = process.communicate(timeout=120)
    assert errors.decode() == ""
    assert process.returncode in QUIET_ENDS


@pytest.mark.parametrize(
    "command", [["ddb/scan", "--page-size", "5"], ["ddb/patterns/get-conversation", "--limit", "100"]]
)
def test_a_reader_that_leaves_after_one_line_ends_the_script_quietly(ops_stack: DevStack, command: list[str]) -> None:
    # `bin/ddb/scan --page-size 5 | head -1`
    path, *args = command
    process = subprocess.Popen(  # noqa: S603 - our own scripts
        [str(PROJECT_ROOT / "bin" / path), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment_for(ops_stack),
    )
    assert process.stdout is not None
    # The smallest pipe Linux allows (one page): the script is still writing when the reader leaves.
    fcntl.fcntl(process.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)
    first = process.stdout.readline()
    process.stdout.close()
    _, errors = process.communicate(timeout=120)
    assert first.strip()
    assert errors.decode() == ""
    assert process.returncode in QUIET_ENDS


def test_a_stack_that_stopped_answering_is_reported(tmp_path: Path) -> None:
    state = {
        "region": "us-east-1",
        "aws_endpoint_url": "http://127.0.0.1:9",
        "messages_table": "cruddur-messages",
        "connection_url": "postgresql://postgres:@/cruddur?host=/nonexistent",
        "user_pool_id": "p",
    }
    (tmp_path / "stack.json").write_text(json.dumps(state))
    fake = DevStack(process=None, state_dir=tmp_path, state=state, log_path=tmp_path / "log")  # type: ignore[arg-type]
    # One attempt: botocore's default retries of a refused connection are ~25 s of backoff, not what this checks.
    for path, expected in [("ddb/list-tables", "cannot reach AWS"), ("db/seed", "PostgreSQL:")]:
        result = script(fake, path, env={"AWS_MAX_ATTEMPTS": "1"})
        assert result.returncode == 1
        (line,) = result.stderr.strip().splitlines()
        assert expected in line


def test_the_dynamodb_scripts_round_trip(ops_stack: DevStack) -> None:
    listed = script(ops_stack, "ddb/list-tables")
    assert sorted(listed.stdout.split()) == TEMPLATE_TABLES

    before = scanned(ops_stack)
    assert len([i for i in before if i["pk"] == f"MSG#{SEED_GROUP_UUID}"]) == 101
    paged = script(ops_stack, "ddb/scan", "--page-size", "10")
    assert f"{len(before)} item(s) in cruddur-messages, 11 page(s) of up to 10" in paged.stderr

    refused = script(ops_stack, "ddb/drop", answer="n\n")
    assert refused.returncode == 1
    assert "not confirmed" in refused.stderr
    assert len(scanned(ops_stack)) == len(before)

    dropped = script(ops_stack, "ddb/drop", answer="y\n")
    assert (dropped.returncode, dropped.stdout.strip().splitlines()[-1]) == (0, "dropped table cruddur-messages")
    again = script(ops_stack, "ddb/drop", "--yes")
    assert (again.returncode, again.stdout.strip()) == (0, "table cruddur-messages does not exist; nothing to drop")
    missing = script(ops_stack, "ddb/scan")
    assert missing.returncode == 1
    assert "does the table exist" in missing.stderr

    loaded = script(ops_stack, "ddb/schema-load")
    assert "created table cruddur-messages (template.yaml MessagesTable)" in loaded.stdout
    assert script(ops_stack, "ddb/schema-load").returncode == 0
    assert "exists  table cruddur-messages" in script(ops_stack, "ddb/schema-load").stdout

    seeded = script(ops_stack, "ddb/seed")
    assert seeded.stdout.strip() == f"seeded conversation {SEED_GROUP_UUID} (andrewbrown and bayko): 101 messages"
    assert "nothing written" in script(ops_stack, "ddb/seed").stdout
    items = scanned(ops_stack)
    assert sorted(i["pk"].split("#")[0] for i in items) == sorted(i["pk"].split("#")[0] for i in before)

    # The seed leaves pattern E's items consistent: both members see the last message.
    last = max((i for i in items if i["pk"].startswith("MSG#")), key=lambda i: i["sk"])
    group_items = [i for i in items if i["pk"].startswith("GRP#")]
    assert len(group_items) == 2
    assert all(g["message"] == last["message"] and g["last_message_sk"] == last["sk"] for g in group_items)

    # And the API serves the re-created table at once.
    response = call(
        "GET", f"{ops_stack.api_url}/api/messages/{SEED_GROUP_UUID}?limit=100", token=ops_stack.token("bayko")
    )
    assert (response.status, len(response.body)) == (200, 100)


def test_the_pattern_scripts_print_the_query_and_its_capacity(ops_stack: DevStack) -> None:
    conversation = script(ops_stack, "ddb/patterns/get-conversation", "--limit", "5")
    assert conversation.returncode == 0, conversation.stderr
    # The year is a range of message keys: a UUIDv7 starts with its time.
    assert '"KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last"' in conversation.stdout
    assert "5 item(s), consumed capacity:" in conversation.stdout
    assert conversation.stdout.rstrip().endswith("Will do. Talk later!")

    groups = script(ops_stack, "ddb/patterns/list-conversations", "--handle", "bayko")
    assert groups.returncode == 0, groups.stderr
    assert '"IndexName": "last-message-at-index"' in groups.stdout
    assert "consumed capacity:" in groups.stdout
    assert f"{SEED_GROUP_UUID}  andrewbrown" in groups.stdout

    unknown = script(ops_stack, "ddb/patterns/list-conversations", "--handle", "nobody")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1,
        "bin/ddb/patterns/list-conversations: error: no user with handle 'nobody' in PostgreSQL",
    )


def test_the_postgresql_scripts_rebuild_a_linked_users_table(ops_stack: DevStack) -> None:
    token = ops_stack.token("andrewbrown")
    assert script(ops_stack, "db/drop").returncode == 1  # no answer, no drop
    assert "dropped database cruddur" in script(ops_stack, "db/drop", "--yes").stdout
    # A caller the warm container has not cached needs PostgreSQL: a clear, retryable 503.
    ensure_users(ops_stack.cognito(), ops_stack.pool, [("newcomer", "newcomer@cruddur.example")], LOCAL_PASSWORD)
    down = call("GET", f"{ops_stack.api_url}/api/message_groups", token=ops_stack.token("newcomer"))
    assert (down.status, down.body["error"], down.headers["retry-after"]) == (503, "service_unavailable", "1")

    for path in ("db/create", "db/schema-load", "db/seed"):
        result = script(ops_stack, path)
        assert result.returncode == 0, (path, result.stderr)
    # Profiles are back but not linked to Cognito: a signed-in user has no profile yet.
    unlinked = call("GET", f"{ops_stack.api_url}/api/message_groups", token=ops_stack.token("worf"))
    assert (unlinked.status, unlinked.body["error"]) == (403, "user_not_registered")

    # newcomer has no profile: reported (exit 1), while the five seeded users are linked by their verified emails.
    linked = script(ops_stack, "db/update_cognito_user_ids")
    assert (linked.returncode, linked.stderr.strip()) == (
        1,
        "bin/db/update_cognito_user_ids: error: 1 Cognito user(s) not linked: see the conflicts above",
    )
    *lines, summary = linked.stdout.strip().splitlines()
    assert summary.startswith("5 linked, 0 already linked, 1 conflict(s) in Cognito pool")
    assert lines[-1].startswith("conflict        newcomer ")
    assert lines[-1].endswith("newcomer@cruddur.example (no profile has this email)")
    assert call("GET", f"{ops_stack.api_url}/api/message_groups", token=ops_stack.token("worf")).status == 200
    ops_stack.cognito().admin_delete_user(UserPoolId=ops_stack.pool.pool_id, Username="newcomer")

    for _ in range(2):  # setup is safe to run twice
        setup = script(ops_stack, "db/setup", "--yes")
        assert setup.returncode == 0, setup.stderr
        assert "loaded seed.sql into cruddur: 5 user(s) added, 5 in all" in setup.stdout
    assert call("GET", f"{ops_stack.api_url}/api/message_groups", token=token).status == 200
    assert script(ops_stack, "db/seed").stdout.strip() == "loaded seed.sql into cruddur: 0 user(s) added, 5 in all"


class Made:
    """Pool users and profiles a test adds, removed after it: later runs of the linking see only the seed."""

    def __init__(self, stack: DevStack) -> None:
        self.stack = stack
        self.cognito = stack.cognito()
        self.usernames: list[str] = []
        self.profiles: list[str] = []

    def profile(self, handle: str, email: str) -> str:
        """An unlinked profile; returns its uuid."""
        with psycopg2.connect(self.stack.state["connection_url"]) as connection, connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO users (display_name, handle, email) VALUES (%s, %s, %s) RETURNING uuid::text",
                (handle.title(), handle, email),
            )
            (user_uuid,) = cursor.fetchone()
        connection.close()
        self.profiles.append(user_uuid)
        return user_uuid

    def sign_up(self, username: str, email: str, *, verified: bool) -> str:
        """Anyone's way in: the public SignUp with a name and address of their choice; returns the sub.

        Confirmed either way (as a pre-sign-up trigger would); ``verified`` means they proved they read the mailbox.
        """
        self.usernames.append(username)
        pool_id = self.stack.pool.pool_id
        signed_up = self.cognito.sign_up(
            ClientId=self.stack.pool.client_id,
            Username=username,
            Password=LOCAL_PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}],
        )
        self.cognito.admin_confirm_sign_up(UserPoolId=pool_id, Username=username)
        if verified:
            self.cognito.admin_update_user_attributes(
                UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": "email_verified", "Value": "true"}]
            )
        return signed_up["UserSub"]

    def remove(self) -> None:
        for username in self.usernames:
            with contextlib.suppress(self.cognito.exceptions.UserNotFoundException):
                self.cognito.admin_delete_user(UserPoolId=self.stack.pool.pool_id, Username=username)
        with psycopg2.connect(self.stack.state["connection_url"]) as connection, connection.cursor() as cursor:
            cursor.execute("DELETE FROM users WHERE uuid = ANY(%s::uuid[])", (self.profiles,))
        connection.close()
        self.usernames, self.profiles = [], []


@pytest.fixture
def made(ops_stack: DevStack) -> Iterator[Made]:
    added = Made(ops_stack)
    yield added
    added.remove()


LINK_LINE = re.compile(r"^(linked|already linked|conflict) +(\S+) +(\S+) +(\S+) (.*)$")


@dataclass(frozen=True)
class Linking:
    returncode: int
    outcomes: dict[str, tuple[str, str]]  # username -> (outcome, "-> @handle" or "(reason)")
    summary: str
    stderr: str


def linking(stack: DevStack) -> Linking:
    """One run of bin/db/update_cognito_user_ids, its lines read back."""
    result = script(stack, "db/update_cognito_user_ids")
    *lines, summary = result.stdout.strip().splitlines()
    outcomes = {}
    for line in lines:
        matched = LINK_LINE.match(line)
        assert matched, line
        outcome, username, _sub, _email, detail = matched.groups()
        outcomes[username] = (outcome, detail)
    return Linking(result.returncode, outcomes, summary, result.stderr.strip())


def linked_sub(stack: DevStack, user_uuid: str) -> str | None:
    with psycopg2.connect(stack.state["connection_url"]) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT cognito_user_id FROM users WHERE uuid = %s", (user_uuid,))
        (sub,) = cursor.fetchone()
    connection.close()
    return sub


def groups_of(stack: DevStack, username: str) -> tuple[int, Any]:
    response = call("GET", f"{stack.api_url}/api/message_groups", token=stack.token(username))
    return response.status, response.body


def test_a_profile_goes_to_the_verified_owner_of_its_email_never_to_its_handle(ops_stack: DevStack, made: Made) -> None:
    tag = uuid.uuid4().hex[:8]
    handle, email = f"victim_{tag}", f"victim.{tag}@cruddur.example"
    victim = made.profile(handle, email)
    # The profile has a conversation worth taking.
    started = call(
        "POST",
        f"{ops_stack.api_url}/api/message_groups",
        token=ops_stack.token("andrewbrown"),
        body={"handle": handle, "message": "For your eyes only"},
    )
    assert started.status == 201, started.body
    group = started.body["message_group_uuid"]

    mallory, eve = handle, f"eve_{tag}"
    made.sign_up(mallory, f"mallory.{tag}@evil.example", verified=True)  # the handle, her own verified mailbox
    made.sign_up(eve, email, verified=False)  # the victim's address, which she cannot verify
    run = linking(ops_stack)
    assert run.returncode == 1
    assert run.outcomes[mallory] == ("conflict", "(no profile has this email)")
    assert run.outcomes[eve] == ("conflict", "(the email is not verified in Cognito)")
    assert linked_sub(ops_stack, victim) is None
    for outsider in (mallory, eve):
        status, body = groups_of(ops_stack, outsider)
        assert (status, body["error"]) == (403, "user_not_registered")

    # The owner of the address signs up (the handle is taken as a username: it does not matter) and verifies it.
    owner = f"owner_{tag}"
    owner_sub = made.sign_up(owner, email, verified=True)
    run = linking(ops_stack)
    assert run.outcomes[owner] == ("linked", f"-> @{handle}")
    assert run.outcomes[mallory][0] == run.outcomes[eve][0] == "conflict"
    assert linked_sub(ops_stack, victim) == owner_sub
    status, body = groups_of(ops_stack, owner)
    assert status == 200
    assert [(g["uuid"], g["handle"]) for g in body] == [(group, "andrewbrown")]
    for outsider in (mallory, eve):
        assert groups_of(ops_stack, outsider)[0] == 403

    # Running again changes nothing: the owner is "already linked", not a conflict.
    again = linking(ops_stack)
    assert again.outcomes[owner] == ("already linked", f"-> @{handle}")
    assert linked_sub(ops_stack, victim) == owner_sub

    # A link is never replaced: another verified user with the address (the owner gone from the pool) gets nothing.
    made.cognito.admin_delete_user(UserPoolId=ops_stack.pool.pool_id, Username=owner)
    successor = f"successor_{tag}"
    made.sign_up(successor, email, verified=True)
    relink = linking(ops_stack)
    assert relink.outcomes[successor] == ("conflict", f"(profile @{handle} is already linked to another Cognito user)")
    assert linked_sub(ops_stack, victim) == owner_sub

    # With only the seeded users left, a run is clean: nothing to link, nothing to report, exit 0.
    made.remove()
    clean = linking(ops_stack)
    assert (clean.returncode, clean.stderr) == (0, "")
    assert clean.summary.startswith("0 linked, 5 already linked, 0 conflict(s) in Cognito pool")


def test_an_address_that_names_no_single_profile_or_user_links_nobody(ops_stack: DevStack, made: Made) -> None:
    tag = uuid.uuid4().hex[:8]
    shared = made.profile(f"shared_{tag}", f"shared.{tag}@cruddur.example")
    made.sign_up(f"twin1_{tag}", f"shared.{tag}@cruddur.example", verified=True)
    made.sign_up(f"twin2_{tag}", f"shared.{tag}@CRUDDUR.example", verified=True)  # the same address
    doubled = [made.profile(f"lower_{tag}", f"doubled.{tag}@cruddur.example")]
    doubled.append(made.profile(f"upper_{tag}", f"doubled.{tag}@Cruddur.Example"))
    made.sign_up(f"doubled_{tag}", f"doubled.{tag}@cruddur.example", verified=True)
    # The local part is compared exactly (a server may tell Kim from kim); the domain is not.
    mixed = made.profile(f"mixed_{tag}", f"Kim.{tag}@cruddur.example")
    made.sign_up(f"kim_{tag}", f"kim.{tag}@cruddur.example", verified=True)
    cased = made.profile(f"cased_{tag}", f"cased.{tag}@cruddur.example")
    cased_sub = made.sign_up(f"cased_{tag}", f"cased.{tag}@CrUdDuR.example", verified=True)

    run = linking(ops_stack)
    assert run.returncode == 1
    assert (
        run.outcomes[f"twin1_{tag}"]
        == run.outcomes[f"twin2_{tag}"]
        == (
            "conflict",
            "(2 Cognito users have this verified email)",
        )
    )
    assert run.outcomes[f"doubled_{tag}"] == ("conflict", f"(2 profiles have this email (@lower_{tag}, @upper_{tag}))")
    assert run.outcomes[f"kim_{tag}"] == (
        "conflict",
        f"(no profile has this email; @mixed_{tag} differs only in the case of its local part)",
    )
    assert run.outcomes[f"cased_{tag}"] == ("linked", f"-> @cased_{tag}")
    assert [linked_sub(ops_stack, u) for u in (shared, *doubled, mixed, cased)] == [None, None, None, None, cased_sub]
    assert f"{len([o for o, _ in run.outcomes.values() if o == 'conflict'])} conflict(s)" in run.summary


def test_two_runs_at_once_link_a_profile_once(ops_stack: DevStack, made: Made) -> None:
    tag = uuid.uuid4().hex[:8]
    profile = made.profile(f"race_{tag}", f"race.{tag}@cruddur.example")
    sub = made.sign_up(f"race_{tag}", f"race.{tag}@cruddur.example", verified=True)
    url = ops_stack.state["connection_url"]
    # Hold the profile's row, so both runs are inside their transaction, waiting, before either decides.
    holder = psycopg2.connect(url)
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT 1 FROM users WHERE uuid = %s FOR UPDATE", (profile,))
        runs = [
            subprocess.Popen(  # noqa: S603 - our own script
                [str(PROJECT_ROOT / "bin/db/update_cognito_user_ids")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=environment_for(ops_stack),
            )
            for _ in range(2)
        ]
        assert _waiting_for_locks(url, 2, timeout=60), [
            run.communicate(timeout=5) for run in runs if run.poll() is not None
        ]
    finally:
        holder.rollback()
        holder.close()
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    lines = sorted(line.split()[0] for out, _ in outputs for line in out.splitlines() if f" race_{tag} " in line)
    assert lines == ["already", "linked"]  # one run linked it, the other found it linked
    assert linked_sub(ops_stack, profile) == sub


def _waiting_for_locks(url: str, count: int, timeout: float) -> bool:
    """Whether ``count`` sessions wait for a lock on users (reading or writing a held row) within ``timeout`` s."""
    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND query ILIKE '%users%' AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0] >= count:
                    return True
                time.sleep(0.05)
    finally:
        connection.close()
    return False


def test_the_cognito_scripts(ops_stack: DevStack) -> None:
    users = script(ops_stack, "cognito/list-users", "--page-size", "2")
    assert users.returncode == 0, users.stderr
    names = [line.split()[0] for line in users.stdout.splitlines()]
    # What the linking goes by: each seeded user's email, verified.
    assert {tuple(line.split()[2:4]) for line in users.stdout.splitlines() if line.startswith("worf ")} == {
        ("worf@cruddur.example", "verified")
    }
    assert {"andrewbrown", "bayko", "garek", "londo", "worf"} <= set(names)
    assert len(names) == len(set(names))  # pages neither overlap nor repeat
    assert f"{len(names)} user(s) in pool" in users.stderr

    token = script(ops_stack, "cognito/token", "andrewbrown").stdout.strip()
    assert call("GET", f"{ops_stack.api_url}/api/message_groups", token=token).status == 200
    id_token = script(ops_stack, "cognito/token", "andrewbrown", "--id-token").stdout.strip()
    assert call("GET", f"{ops_stack.api_url}/api/message_groups", token=id_token).status == 401
    wrong = script(ops_stack, "cognito/token", "andrewbrown", "--password", "nope")
    assert (wrong.returncode, wrong.stderr.strip()) == (
        1,
        "bin/cognito/token: error: cannot sign in as 'andrewbrown': wrong password",
    )


def test_prod_uses_the_aws_configuration_of_the_environment(ops_stack: DevStack) -> None:
    # Pointed at the local moto server through boto3's own variable, prod takes the AWS code path end to end.
    aws = {
        "AWS_ENDPOINT_URL": ops_stack.state["aws_endpoint_url"],
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    listed = script(ops_stack, "ddb/list-tables", "prod", env=aws)
    assert sorted(listed.stdout.split()) == TEMPLATE_TABLES
    no_db = script(ops_stack, "db/seed", "prod", env=aws)
    assert (no_db.returncode, no_db.stderr.strip()) == (
        1,
        "bin/db/seed: error: no PostgreSQL for prod: set PROD_CONNECTION_URL",
    )
    no_pool = script(ops_stack, "cognito/list-users", "prod", env=aws)
    assert "set AWS_COGNITO_USER_POOL_ID" in no_pool.stderr
    pool = script(
        ops_stack, "cognito/list-users", "prod", env={**aws, "AWS_COGNITO_USER_POOL_ID": ops_stack.pool.pool_id}
    )
    assert pool.returncode == 0, pool.stderr
    local = script(ops_stack, "cognito/list-users")
    assert pool.stdout == local.stdout
    refused = script(ops_stack, "cognito/token", "andrewbrown", env=aws)
    assert refused.returncode == 0  # token is always local
