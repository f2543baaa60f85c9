from local.streams.filters import compile_filters, passes
from tooling.template import Template

TEMPLATE = Template(parameter_overrides={"UserPoolId": "us-east-1_x", "UserPoolClientId": "c"})


def record(event_name: str, pk: str) -> dict:
    return {"eventName": event_name, "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": "s"}}}}


def test_the_template_filter_lets_only_messages_sent_edited_or_deleted_through() -> None:
    (event,) = TEMPLATE.functions["MessageStreamFunction"].stream_events
    patterns = compile_filters(event)

    assert passes(patterns, record("INSERT", "MSG#g"))
    assert passes(patterns, record("MODIFY", "MSG#g"))
    assert not passes(patterns, record("MODIFY", "GRP#u"))
    assert not passes(patterns, record("REMOVE", "MSG#g"))
    assert not passes(patterns, record("INSERT", "GRP#u"))
    assert not passes(patterns, record("INSERT", "PAIR#a#b"))
    assert not passes(patterns, {"eventName": "INSERT"})


def test_other_rules() -> None:
    assert passes([{"a": [{"exists": False}]}], {})
    assert not passes([{"a": [{"exists": True}]}], {})
    assert passes([{"a": [{"anything-but": ["x"]}]}], {"a": "y"})
    assert not passes([{"a": [{"anything-but": "x"}]}], {"a": "x"})
    assert passes([], {"anything": 1})
    assert passes([{"a": ["x"]}, {"a": ["y"]}], {"a": "y"})
