"""template.yaml is the one definition of tables and functions; the local stack reads it correctly."""

from pathlib import Path

from tooling.tables import table_definitions
from tooling.template import Template

TEMPLATE = Template(parameter_overrides={"UserPoolId": "us-east-1_x", "UserPoolClientId": "c"})


def test_the_messages_table_matches_the_data_model() -> None:
    tables = {t.logical_id: t for t in table_definitions(TEMPLATE)}
    messages = tables["MessagesTable"].create_table
    assert messages["TableName"] == "cruddur-messages"
    assert messages["BillingMode"] == "PAY_PER_REQUEST"
    assert messages["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert messages["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    # No GSI: a message names both members, so pattern E needs no index to find them (issue 14).
    assert "GlobalSecondaryIndexes" not in messages
    (lsi,) = messages["LocalSecondaryIndexes"]
    assert (lsi["IndexName"], [k["AttributeName"] for k in lsi["KeySchema"]]) == (
        "last-message-at-index",
        ["pk", "last_message_at"],
    )
    assert tables["MessagesTable"].point_in_time_recovery
    assert tables["IdempotencyTable"].name == "cruddur-messages-idempotency"
    assert tables["IdempotencyTable"].ttl_attribute == "expiration"


def test_parameters_rename_the_tables_everywhere() -> None:
    renamed = Template(parameter_overrides={"MessagesTableName": "other", "UserPoolId": "p", "UserPoolClientId": "c"})
    env = renamed.functions["ListMessagesFunction"].environment
    assert (env["MESSAGES_TABLE"], env["IDEMPOTENCY_TABLE"]) == ("other", "other-idempotency")


def test_every_route_of_the_contract_has_its_function() -> None:
    routes = {r.route_key: f.logical_id for f in TEMPLATE.functions.values() for r in f.http_routes}
    assert routes == {
        "GET /api/messages/{message_group_uuid}": "ListMessagesFunction",
        "GET /api/message_groups": "ListMessageGroupsFunction",
        "POST /api/messages": "CreateMessageFunction",
        "POST /api/message_groups": "CreateMessageGroupFunction",
        "PUT /api/message_groups/{message_group_uuid}/read": "MarkReadFunction",
        "PATCH /api/messages/{message_group_uuid}/{message_uuid}": "EditMessageFunction",
        "DELETE /api/messages/{message_group_uuid}/{message_uuid}": "DeleteMessageFunction",
        "PUT /api/blocks/{handle}": "BlockUserFunction",
        "DELETE /api/blocks/{handle}": "UnblockUserFunction",
        "GET /api/blocks": "ListBlocksFunction",
        "GET /api/settings": "GetSettingsFunction",
        "PUT /api/settings": "PutSettingsFunction",
        "PUT /api/message_groups/{message_group_uuid}/mute": "MuteMessageGroupFunction",
        "PUT /api/message_groups/{message_group_uuid}/accept": "AcceptMessageGroupFunction",
        "POST /api/messages/{message_group_uuid}/{message_uuid}/report": "ReportMessageFunction",
    }


def test_routes_match_paths_and_extract_parameters() -> None:
    (route,) = TEMPLATE.functions["ListMessagesFunction"].http_routes
    assert route.match("GET", "/api/messages/abc") == {"message_group_uuid": "abc"}
    assert route.match("get", "/api/messages/abc") == {"message_group_uuid": "abc"}
    assert route.match("POST", "/api/messages/abc") is None
    assert route.match("GET", "/api/messages/abc/def") is None
    assert route.match("GET", "/api/messages/") is None


def test_the_stream_mapping_follows_spec_section_5() -> None:
    (event,) = TEMPLATE.functions["MessageStreamFunction"].stream_events
    assert event["BatchSize"] >= 100
    assert event["BisectBatchOnFunctionError"] is True
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["MaximumRetryAttempts"] > 0
    assert "MaximumBatchingWindowInSeconds" in event
    assert event["DestinationConfig"]["OnFailure"]["Type"] == "SQS"


def test_each_function_has_the_memory_and_architecture_it_is_billed_for(tmp_path: Path) -> None:
    # What `make bench` prices a message's Lambda duration with: Globals, a function's own setting over them, and
    # Lambda's defaults (128 MB, x86_64) where neither says.
    assert {(f.memory_mb, f.architecture) for f in TEMPLATE.functions.values()} == {(256, "arm64")}
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Plain:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: a/, Handler: app.h}\n"
        "  Own:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: b/, Handler: app.h, MemorySize: 1024, Architectures: [arm64]}\n"
    )
    functions = Template(path=path).functions
    assert (functions["Plain"].memory_mb, functions["Plain"].architecture) == (128, "x86_64")
    assert (functions["Own"].memory_mb, functions["Own"].architecture) == (1024, "arm64")
