"""Restarting `make dev` keeps data without duplicating the seed; Ctrl-C leaves nothing running."""

from pathlib import Path

import psycopg2

from tests.dev_process import DevStack, start_dev_stack
from tooling.http_client import call
from tooling.ports import port_in_use
from tooling.seed import SEED_GROUP_UUID


def test_a_restart_neither_duplicates_seed_data_nor_fails(tmp_path: Path) -> None:
    first = start_dev_stack(tmp_path)
    seeded = call("GET", f"{first.api_url}/api/messages/{SEED_GROUP_UUID}?limit=100", token=first.token("andrewbrown"))
    assert first.stop() == 0

    second = start_dev_stack(tmp_path)
    try:
        token = second.token("andrewbrown")  # the seed users exist again, in a new user pool, linked by sub
        again = call("GET", f"{second.api_url}/api/messages/{SEED_GROUP_UUID}?limit=100", token=token)
        groups = call("GET", f"{second.api_url}/api/message_groups", token=token)
        with psycopg2.connect(second.state["connection_url"]) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT handle, count(*) FROM users GROUP BY handle HAVING count(*) > 1")
            duplicated_users = cursor.fetchall()
            cursor.execute("SELECT count(*) FROM users")
            (user_count,) = cursor.fetchone()
        connection.close()
    finally:
        assert second.stop() == 0
    assert [m["message"] for m in again.body] == [m["message"] for m in seeded.body]
    assert [g["uuid"] for g in groups.body] == [SEED_GROUP_UUID]
    assert duplicated_users == []
    assert user_count == 5


def test_ctrl_c_stops_every_process_it_started(tmp_path: Path) -> None:
    stack = start_dev_stack(tmp_path)
    api_port = int(stack.api_url.rsplit(":", 1)[1])
    moto_port = int(stack.state["aws_endpoint_url"].rsplit(":", 1)[1])
    postgres_socket_dir = Path(stack.state["connection_url"].split("host=", 1)[1])

    assert stack.stop() == 0

    assert not port_in_use(api_port)
    assert not port_in_use(moto_port)
    assert not list(postgres_socket_dir.glob(".s.PGSQL.*"))
    assert not (stack.state_dir / "stack.json").exists()


def test_conversations_survive_a_restart_and_fresh_starts_from_the_seed(tmp_path: Path) -> None:
    def bayko_view(stack: DevStack) -> tuple[list[str], list[tuple[str, str]]]:
        groups = call("GET", f"{stack.api_url}/api/message_groups", token=stack.token("bayko")).body
        return [g["uuid"] for g in groups], [(g["uuid"], g["message"]) for g in groups if g["uuid"] == SEED_GROUP_UUID]

    first = start_dev_stack(tmp_path)
    try:
        started = call(
            "POST",
            f"{first.api_url}/api/message_groups",
            token=first.token("bayko"),
            body={"handle": "londo", "message": "remember me"},
        )
        seeded_reply = call(
            "POST",
            f"{first.api_url}/api/messages",
            token=first.token("bayko"),
            body={"message_group_uuid": SEED_GROUP_UUID, "message": "the last word"},
        )
        assert (started.status, seeded_reply.status) == (201, 201)
        assert first.consistency_problems(timeout=30) == []
    finally:
        assert first.stop() == 0
    new_group = started.body["message_group_uuid"]

    second = start_dev_stack(tmp_path)
    try:
        token = second.token("londo")
        kept = call("GET", f"{second.api_url}/api/messages/{new_group}", token=token)
        groups_after_restart, seed_preview = bayko_view(second)
        # The restored items' stream records are not applied again, and nothing is pending or lost.
        assert second.consistency_problems(timeout=30) == []
    finally:
        assert second.stop() == 0
    assert kept.status == 200
    assert [m["message"] for m in kept.body] == ["remember me"]
    assert sorted(groups_after_restart) == sorted([new_group, SEED_GROUP_UUID])
    assert seed_preview == [(SEED_GROUP_UUID, "the last word")]

    fresh = start_dev_stack(tmp_path, extra_args=("--fresh",))
    try:
        groups_when_fresh, _ = bayko_view(fresh)
        gone = call("GET", f"{fresh.api_url}/api/messages/{new_group}", token=fresh.token("londo"))
    finally:
        assert fresh.stop() == 0
    assert groups_when_fresh == [SEED_GROUP_UUID]
    assert gone.status == 403
