"""The warm container's PostgreSQL connection survives being dropped by the server."""

from messaging.people import profiles
from tests.api_client import ApiClient
from tests.integration.conftest import Conversation


def test_a_dropped_connection_is_reopened_on_the_next_request(
    api: ApiClient, conversation: Conversation, database
) -> None:
    assert api.get("/api/message_groups", conversation.starter).status == 200
    with database.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'cruddur-messages'"
        )
        (terminated,) = cursor.fetchone()
    assert terminated == 1
    profiles.clear_cache()  # force a lookup on the dropped connection

    response = api.get("/api/message_groups", conversation.starter)
    assert response.status == 200
    assert [g["uuid"] for g in response.body] == [conversation.group_uuid]
