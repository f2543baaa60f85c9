"""Pattern E applies a group's two members independently: DynamoDB refusing one member's item, persistently,
neither holds back the other member's preview and unread count nor fails any other group's records; once the
fault is gone the retry leaves both members exact."""

import io
import json
from collections import Counter

from local.stack import EmulatedStack
from tests.api_client import ApiClient
from tests.integration.test_faults import FaultyService, faulty, json_error, post, previews  # noqa: F401 - faulty: a fixture
from tests.integration.test_message_stream import apply, group_entry, message_inserts

THROTTLED = json_error("ProvisionedThroughputExceededException", "Rate of requests exceeds the allowed throughput")


def test_a_member_dynamodb_keeps_refusing_fails_only_its_group_and_the_other_member_is_updated(
    api: ApiClient,
    stack: EmulatedStack,
    start_conversation,
    faulty: FaultyService,  # noqa: F811 - the imported fixture
    dynamodb_calls: Counter,
    *,
    log_output: io.StringIO,
) -> None:
    broken, healthy = start_conversation("one"), start_conversation("two")
    stack.stream.drain()
    post(api, broken, "newest in broken")
    post(api, healthy, "newest in healthy")
    records = message_inserts(stack, broken.group_uuid)[-1:] + message_inserts(stack, healthy.group_uuid)[-1:]
    refused = f"GRP#{broken.starter.uuid}"  # the sender: the member pattern E used to try first
    faulty.answer(
        "UpdateItem",
        400,
        THROTTLED,
        content_type="application/x-amz-json-1.0",
        where=lambda params: params["Key"]["pk"]["S"] == refused,
    )

    assert apply(stack, records) == [records[0]["dynamodb"]["SequenceNumber"]]  # only the broken group's record
    assert faulty.sends["UpdateItem"] > 1  # botocore retried the throttling before giving up
    theirs = group_entry(api, broken.other, broken)
    assert (theirs["message"], theirs["unread_count"]) == ("newest in broken", 2)
    assert group_entry(api, broken.starter, broken)["message"] == "one"
    assert previews(api, healthy) == {"newest in healthy"}
    logged = list(map(json.loads, log_output.getvalue().splitlines()))
    (warning,) = [entry for entry in logged if entry["message"] == "member's message group item not updated"]
    assert (warning["group"], warning["member"]) == (broken.group_uuid, broken.starter.uuid)
    # The store hands logic a domain error; what DynamoDB answered is in the store's own line.
    assert warning["error"] == "DependencyUnavailable"
    assert any(
        entry["message"] == "store busy or unreachable" and "ProvisionedThroughputExceededException" in entry["detail"]
        for entry in logged
    )

    faulty.faults.clear()
    dynamodb_calls.clear()
    assert apply(stack, records) == []  # Lambda's retry carries both groups' records again
    # One write for the member that failed. The three that succeeded meet their records as duplicates, which their
    # condition detects: each is recounted, not counted twice (a Query for the two recipients; the healthy group's
    # sender has read through its newest message, so there is nothing to count), and, being exact, not written.
    assert dynamodb_calls == Counter({"UpdateItem": 4, "Query": 2})
    mine, theirs = group_entry(api, broken.starter, broken), group_entry(api, broken.other, broken)
    assert (mine["message"], mine["unread_count"]) == ("newest in broken", 0)
    assert (theirs["message"], theirs["unread_count"]) == ("newest in broken", 2)
    assert previews(api, healthy) == {"newest in healthy"}
