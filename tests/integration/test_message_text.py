"""Blank and trimmed messages over real requests, case by case from the table the OpenAPI tests use too."""

import pytest

from tests.api_client import ApiClient
from tests.integration.conftest import Conversation
from tests.message_text_cases import PARAMETERS, Case


def texts_of(api: ApiClient, conversation: Conversation) -> list[str]:
    response = api.get(f"/api/messages/{conversation.group_uuid}", conversation.other, {"limit": "100"})
    return [message["message"] for message in response.body]


@PARAMETERS
def test_posting_a_message_stores_the_trimmed_text_or_refuses_a_blank_one(
    api: ApiClient, conversation: Conversation, case: Case
) -> None:
    body = {"message_group_uuid": conversation.group_uuid, "message": case.text}
    response = api.post("/api/messages", conversation.starter, body)

    if case.stored is None:
        assert (response.status, response.error) == (422, "validation_error"), response.body
        assert [detail["field"] for detail in response.body["details"]] == ["message"]
        assert texts_of(api, conversation) == ["hello there"]
    else:
        assert (response.status, response.body["message"]) == (201, case.stored)
        assert texts_of(api, conversation) == ["hello there", case.stored]


@pytest.mark.parametrize("text", ["\ufeff", "\u200b \u2060", "\x85"])
def test_a_blank_first_message_starts_no_conversation(api: ApiClient, new_user, text: str) -> None:
    starter, other = new_user(), new_user()
    response = api.post("/api/message_groups", starter, {"handle": other.handle, "message": text})

    assert (response.status, response.error) == (422, "validation_error"), response.body
    assert api.get("/api/message_groups", starter).body == []
