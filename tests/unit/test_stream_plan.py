"""Pattern E coalesces a batch: per group only the newest message is applied."""

from messaging.logic.group_activity import MalformedRecord, plan_batch


def insert(event_id: str, group: str, created_at: str, message_uuid: str = "m") -> dict:
    sk = f"{created_at}#{message_uuid}"
    image = {
        "pk": {"S": f"MSG#{group}"},
        "sk": {"S": sk},
        "message_uuid": {"S": message_uuid},
        "message": {"S": f"text {event_id}"},
        "created_at": {"S": created_at},
        "user_uuid": {"S": "u"},
        "user_display_name": {"S": "U"},
        "user_handle": {"S": "u"},
    }
    return {
        "eventID": event_id,
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image},
    }


def test_only_the_newest_message_of_each_group_is_planned() -> None:
    plan = plan_batch(
        [
            insert("1", "g1", "2026-01-01T00:00:02.000000+00:00"),
            insert("2", "g1", "2026-01-01T00:00:03.000000+00:00"),
            insert("3", "g2", "2026-01-01T00:00:01.000000+00:00"),
            insert("4", "g1", "2026-01-01T00:00:01.000000+00:00"),  # older, delivered late
        ]
    )
    assert {event_id: message.text for event_id, message in plan.items()} == {"2": "text 2", "3": "text 3"}


def test_the_same_microsecond_is_ordered_by_message_uuid() -> None:
    at = "2026-01-01T00:00:00.000000+00:00"
    plan = plan_batch([insert("1", "g", at, "b"), insert("2", "g", at, "a")])
    assert list(plan) == ["1"]


def test_other_records_are_ignored_and_broken_ones_fail() -> None:
    modify = {**insert("1", "g", "2026"), "eventName": "MODIFY"}
    group_item = {"eventID": "2", "eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "GRP#u"}}}}
    broken = {"eventID": "3", "eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "MSG#g"}}, "NewImage": {}}}
    plan = plan_batch([modify, group_item, broken])
    assert list(plan) == ["3"]
    assert isinstance(plan["3"], MalformedRecord)
