"""`sam deploy` rehearsed on moto server, and what CloudFormation would build checked against template.yaml.

One `sam build` + `sam package`, then two moto servers (tests/e2e/deploy_rehearsal.py): `sam deploy` of the packaged
template on one; on the other, the same template through the SAM transform (aws-sam-translator) and
`create_stack`, because moto has no SAM transform and builds nothing for `AWS::Serverless::*`.

Expectations come from template.yaml, never from a copy: its tables, indexes, queues, functions, policies and
events may change and this file should follow without edits. What moto does not build or ignores (the HTTP
API, alarms, TTL/PITR/SSE, architectures, layers on functions, tracing, logging config, a role's managed
policies) is checked on the translated template instead; a resource type moto does not build and this file
does not check there fails the test.
"""

import fnmatch
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from local.servers.moto_process import MotoServer
from tests.e2e.deploy_rehearsal import (
    ARTIFACT_BUCKET,
    REHEARSAL_POOL,
    BuiltResource,
    MotoAccount,
    Rehearsal,
    RehearsalError,
    StackResolver,
    built_resources,
    create_stack,
    moto_endpoint,
    policy_document,
    rehearse,
    sam_deploy,
    sam_environment,
    stack_failures,
    stack_status,
    unbuilt_resources,
)
from tooling.paths import TEMPLATE_PATH
from tooling.ports import free_ports
from tooling.template import Template

PARAMETERS = {**REHEARSAL_POOL, "Stage": "dev", "MessagesTableName": "rehearsal-messages"}

# template.yaml with long-form intrinsics, read at collection so tests can be made per table and function.
SOURCE: dict[str, Any] = Template(TEMPLATE_PATH).document

# Types moto 5.2.5 accepts without building them, each checked on the translated template by the named tests.
_BOTH_APIS = "test_http_api_routes_and_authorizer, test_websocket_api_routes_authorizer_and_stage"
CHECKED_ON_TRANSLATED_TEMPLATE = {
    "AWS::ApiGatewayV2::Api": _BOTH_APIS,
    "AWS::ApiGatewayV2::Stage": _BOTH_APIS,
    "AWS::ApiGatewayV2::Authorizer": "test_websocket_api_routes_authorizer_and_stage",
    "AWS::ApiGatewayV2::Integration": "test_websocket_api_routes_authorizer_and_stage",
    "AWS::ApiGatewayV2::Route": "test_websocket_api_routes_authorizer_and_stage",
    "AWS::ApiGatewayV2::RouteResponse": "test_websocket_api_routes_authorizer_and_stage",
    "AWS::CloudWatch::Alarm": "test_every_dead_letter_queue_has_an_alarm",
}

# Data-plane actions a read-only function may hold; any other action on these services is a write.
READ_ACTIONS = {
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "kms:Decrypt",
    "s3:GetObject",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
}
DATA_SERVICES = {"dynamodb", "kms", "s3", "secretsmanager", "sns", "sqs", "ssm", "execute-api"}

# Event source properties that a mapping reports under the same name.
ESM_SAME_NAME = {
    "BatchSize",
    "BisectBatchOnFunctionError",
    "FunctionResponseTypes",
    "MaximumBatchingWindowInSeconds",
    "MaximumRecordAgeInSeconds",
    "MaximumRetryAttempts",
    "ParallelizationFactor",
    "StartingPosition",
    "TumblingWindowInSeconds",
}


# ---------------------------------------------------------------------------------------------------------------
# template.yaml, as SAM reads it
# ---------------------------------------------------------------------------------------------------------------
def source_resources(resource_type: str) -> dict[str, dict[str, Any]]:
    return {lid: res for lid, res in SOURCE["Resources"].items() if res["Type"] == resource_type}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def function_properties(logical_id: str) -> dict[str, Any]:
    """A function's properties with Globals applied as SAM applies them (maps merged, lists concatenated)."""
    merged = dict((SOURCE.get("Globals") or {}).get("Function", {}))
    for key, value in SOURCE["Resources"][logical_id]["Properties"].items():
        inherited = merged.get(key)
        if isinstance(inherited, list) and isinstance(value, list):
            merged[key] = inherited + value
        elif key == "Environment" and inherited:
            variables = {**inherited.get("Variables", {}), **value.get("Variables", {})}
            merged[key] = {"Variables": variables}
        else:
            merged[key] = value
    return merged


def function_events(logical_id: str, event_type: str) -> list[dict[str, Any]]:
    events = (function_properties(logical_id).get("Events") or {}).values()
    return [event["Properties"] for event in events if event["Type"] == event_type]


FUNCTIONS = sorted(source_resources("AWS::Serverless::Function"))
TABLES = sorted(source_resources("AWS::DynamoDB::Table"))
QUEUES = sorted(source_resources("AWS::SQS::Queue"))
# The table the functions know as MESSAGES_TABLE.
(MESSAGES_TABLE,) = {
    variables["MESSAGES_TABLE"]["Ref"]
    for lid in FUNCTIONS
    if "MESSAGES_TABLE" in (variables := function_properties(lid).get("Environment", {}).get("Variables", {}))
}
READ_ONLY_FUNCTIONS = [
    lid
    for lid in FUNCTIONS
    if (events := (function_properties(lid).get("Events") or {}).values())
    and all(e["Type"] == "HttpApi" and e["Properties"]["Method"].upper() == "GET" for e in events)
]


def own_role(logical_id: str) -> dict[str, Any] | None:
    """The properties of the template's role that the function names (``Role``), if it does not let SAM make one."""
    role = function_properties(logical_id).get("Role")
    if role is None:
        return None
    (role_id, _) = role["Fn::GetAtt"]
    return SOURCE["Resources"][role_id]["Properties"]


def declared_grants(logical_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The function's Policies (or its own role's): inline statements, and Refs to managed policies of the template."""
    statements: list[dict[str, Any]] = []
    managed: list[dict[str, Any]] = []
    role = own_role(logical_id)
    if role is not None:
        for policy in role.get("Policies", []):
            statements += as_list(policy["PolicyDocument"]["Statement"])
        return statements, as_list(role.get("ManagedPolicyArns"))
    for entry in as_list(function_properties(logical_id).get("Policies")):
        if isinstance(entry, dict) and "Statement" in entry:
            statements += as_list(entry["Statement"])
        elif isinstance(entry, dict) and SOURCE["Resources"].get(entry.get("Ref"), {}).get("Type") == (
            "AWS::IAM::ManagedPolicy"
        ):
            managed.append(entry)
        else:
            pytest.fail(
                f"{logical_id}: policy {entry!r} is not an inline statement list nor a template managed "
                "policy; teach this test what it grants"
            )
    return statements, managed


def sam_added_statements(logical_id: str) -> list[dict[str, Any]]:
    """What SAM grants for a function's event destinations (its only inline additions for our event types)."""
    statements: list[dict[str, Any]] = []
    if own_role(logical_id) is not None:
        return statements  # SAM adds nothing to a role it did not make
    for event in function_events(logical_id, "DynamoDB"):
        on_failure = (event.get("DestinationConfig") or {}).get("OnFailure")
        if on_failure:
            action = {"SQS": "sqs:SendMessage", "SNS": "sns:publish"}[on_failure["Type"]]
            statements.append({"Action": action, "Effect": "Allow", "Resource": on_failure["Destination"]})
    return statements


def sam_execution_policies(logical_id: str) -> set[str]:
    """The AWS managed policies SAM attaches for the features a function declares, each AWS's narrowest one."""
    properties = function_properties(logical_id)
    if own_role(logical_id) is not None:
        return set()
    names = {"service-role/AWSLambdaBasicExecutionRole"}
    if properties.get("Tracing") not in {None, "Disabled"}:
        names.add("AWSXrayWriteOnlyAccess")
    if function_events(logical_id, "DynamoDB"):
        names.add("service-role/AWSLambdaDynamoDBExecutionRole")
    return {f"arn:aws:iam::aws:policy/{name}" for name in names}


def statement_key(statement: dict[str, Any]) -> tuple[Any, ...]:
    return (
        statement.get("Sid", ""),
        statement["Effect"],
        tuple(sorted(as_list(statement["Action"]))),
        tuple(sorted(as_list(statement.get("Resource")))),
        json.dumps(statement.get("Condition"), sort_keys=True),
    )


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    return {action for statement in statements for action in as_list(statement["Action"])}


# ---------------------------------------------------------------------------------------------------------------
# Fixtures: the rehearsal runs once for the module
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    work_dir = Path(tmp_path_factory.mktemp("rehearsal"))
    logs = [work_dir / "moto-sam-deploy.log", work_dir / "moto-translated.log"]
    servers: list[MotoServer] = []
    try:
        with pytest.MonkeyPatch.context() as patch:
            # moto's IAM then knows AWS managed policies: the translator resolves names through it, and the
            # tests read what SAM's execution policies grant.
            patch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            servers = [
                MotoServer(port, log_path=log).start() for port, log in zip(free_ports(len(logs)), logs, strict=True)
            ]
        sam_account, translated_account = (MotoAccount(moto_endpoint(server.port)) for server in servers)
        try:
            yield rehearse(sam_account, translated_account, work_dir, PARAMETERS)
        except (RehearsalError, BotoCoreError, ClientError) as error:
            # moto answers a resource it cannot create with a bare 500; the reason is in its log.
            pytest.fail(f"{error}\n{_tails(logs)}", pytrace=False)
    finally:
        for server in servers:
            server.stop()


def _tails(logs: list[Path], lines: int = 25) -> str:
    return "\n".join(
        f"--- last lines of {log} ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
        for log in logs
        if log.exists()
    )


@pytest.fixture(scope="module")
def built(rehearsal: Rehearsal) -> dict[str, BuiltResource]:
    """What moto built from the translated template."""
    return built_resources(rehearsal.translated_account.client("cloudformation"), rehearsal.stack_name)


@pytest.fixture(scope="module")
def resolver(rehearsal: Rehearsal, built: dict[str, BuiltResource]) -> StackResolver:
    account = rehearsal.translated_account
    return StackResolver(rehearsal.translated, rehearsal.parameters, built, account.client, account.region)


def translated_resource(rehearsal: Rehearsal, logical_id: str) -> dict[str, Any]:
    return rehearsal.translated["Resources"][logical_id]["Properties"]


def role_of(rehearsal: Rehearsal, built: dict[str, BuiltResource], function: str) -> tuple[str, str]:
    """The function's role: logical id and name."""
    role_logical_id = translated_resource(rehearsal, function)["Role"]["Fn::GetAtt"][0]
    return role_logical_id, str(built[role_logical_id].physical_id)


def managed_policy_statements(iam: Any, arn: str) -> list[dict[str, Any]]:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    return as_list(policy_document(version["Document"])["Statement"])


def inline_statements(iam: Any, role_name: str) -> list[dict[str, Any]]:
    statements = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        statements += as_list(policy_document(document)["Statement"])
    return statements


# ---------------------------------------------------------------------------------------------------------------
# sam deploy, as an operator runs it
# ---------------------------------------------------------------------------------------------------------------
def test_sam_deploy_creates_the_stack(rehearsal: Rehearsal) -> None:
    cloudformation = rehearsal.sam_account.client("cloudformation")
    # UPDATE_COMPLETE once the redeploy below has run.
    assert stack_status(cloudformation, rehearsal.stack_name) in {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
    assert stack_failures(cloudformation, rehearsal.stack_name) == []
    deployed = built_resources(cloudformation, rehearsal.stack_name)
    assert {r.status for r in deployed.values()} <= {"CREATE_COMPLETE"}
    # moto has no SAM transform: the Serverless resources are accepted, not built. Everything else is.
    for logical_id, resource_type in unbuilt_resources(rehearsal.packaged, deployed).items():
        assert resource_type.startswith("AWS::Serverless::") or resource_type in CHECKED_ON_TRANSLATED_TEMPLATE, (
            f"sam deploy did not build {logical_id} ({resource_type})"
        )
    tables = {deployed[lid].physical_id for lid in TABLES}
    assert tables == {
        Template(TEMPLATE_PATH, parameter_overrides=rehearsal.parameters).table_name(lid) for lid in TABLES
    }


def test_sam_package_uploaded_every_artifact(rehearsal: Rehearsal) -> None:
    s3 = rehearsal.sam_account.client("s3")
    uris = {
        lid: res["Properties"].get("CodeUri") or res["Properties"].get("ContentUri")
        for lid, res in rehearsal.packaged["Resources"].items()
        if res["Type"] in {"AWS::Serverless::Function", "AWS::Serverless::LayerVersion"}
    }
    assert set(uris) == set(source_resources("AWS::Serverless::Function")) | set(
        source_resources("AWS::Serverless::LayerVersion")
    )
    for logical_id, uri in uris.items():
        bucket, _, key = str(uri).removeprefix("s3://").partition("/")
        assert bucket == ARTIFACT_BUCKET, f"{logical_id}: {uri}"
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0


def test_sam_deploy_again_without_changes_succeeds(rehearsal: Rehearsal, tmp_path: Path) -> None:
    packaged = tmp_path / "packaged.json"
    packaged.write_text(json.dumps(rehearsal.packaged))
    account = rehearsal.sam_account
    sam_deploy(
        packaged,
        rehearsal.stack_name,
        ARTIFACT_BUCKET,
        parameters=rehearsal.parameters,
        region=account.region,
        env=sam_environment(account.endpoint_url, account.region),
    )
    cloudformation = account.client("cloudformation")
    assert stack_status(cloudformation, rehearsal.stack_name) in {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
    assert stack_failures(cloudformation, rehearsal.stack_name) == []


# ---------------------------------------------------------------------------------------------------------------
# What CloudFormation would build (translated template on moto)
# ---------------------------------------------------------------------------------------------------------------
def test_the_translated_stack_builds_without_failures(rehearsal: Rehearsal, built: dict[str, BuiltResource]) -> None:
    cloudformation = rehearsal.translated_account.client("cloudformation")
    assert stack_status(cloudformation, rehearsal.stack_name) == "CREATE_COMPLETE"
    assert stack_failures(cloudformation, rehearsal.stack_name) == []
    assert {r.status for r in built.values()} == {"CREATE_COMPLETE"}
    unchecked = {
        lid: resource_type
        for lid, resource_type in unbuilt_resources(rehearsal.translated, built).items()
        if resource_type not in CHECKED_ON_TRANSLATED_TEMPLATE
    }
    assert unchecked == {}, "moto did not build these: check them on the translated template instead"


@pytest.mark.parametrize("logical_id", TABLES)
def test_table_keys_indexes_and_stream(
    logical_id: str, rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver
) -> None:
    declared = resolver.resolve(SOURCE["Resources"][logical_id]["Properties"])
    table = rehearsal.translated_account.client("dynamodb").describe_table(TableName=built[logical_id].physical_id)
    table = table["Table"]
    assert table["TableName"] == declared["TableName"]
    assert table["KeySchema"] == declared["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(declared["AttributeDefinitions"], key=str)
    assert table["BillingModeSummary"]["BillingMode"] == declared.get("BillingMode", "PROVISIONED")
    for kind in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        built_indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table.get(kind, [])}
        declared_indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in declared.get(kind, [])}
        assert built_indexes == declared_indexes, kind
    stream = declared.get("StreamSpecification")
    if stream:
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    else:
        assert not table.get("StreamSpecification", {}).get("StreamEnabled")


@pytest.mark.parametrize("logical_id", TABLES)
def test_table_ttl_recovery_and_encryption(logical_id: str, rehearsal: Rehearsal) -> None:
    # moto ignores these three properties: the translated template is what CloudFormation would apply.
    declared = SOURCE["Resources"][logical_id]["Properties"]
    translated = translated_resource(rehearsal, logical_id)
    for setting in ("TimeToLiveSpecification", "PointInTimeRecoverySpecification", "SSESpecification"):
        assert translated.get(setting) == declared.get(setting), setting
    ttl = declared.get("TimeToLiveSpecification")
    if ttl:
        assert ttl["Enabled"] is True
        assert ttl["AttributeName"]
    if logical_id == MESSAGES_TABLE:  # user data, so recoverable and encrypted (docs/architecture.md)
        assert declared["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert declared["SSESpecification"]["SSEEnabled"] is True


@pytest.mark.parametrize("logical_id", QUEUES)
def test_queue_as_declared(logical_id: str, rehearsal: Rehearsal, built: dict[str, BuiltResource]) -> None:
    declared = SOURCE["Resources"][logical_id]["Properties"]
    sqs = rehearsal.translated_account.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=built[logical_id].physical_id, AttributeNames=["All"])
    attributes = attributes["Attributes"]
    for name in ("MessageRetentionPeriod", "VisibilityTimeout", "DelaySeconds", "SqsManagedSseEnabled"):
        if name in declared:
            assert attributes[name] == str(declared[name]).lower(), name


def test_log_groups_as_declared(rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver) -> None:
    logs = rehearsal.translated_account.client("logs")
    for logical_id, resource in source_resources("AWS::Logs::LogGroup").items():
        declared = resolver.resolve(resource["Properties"])
        name = built[logical_id].physical_id
        (group,) = [
            g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name
        ]
        assert name == declared["LogGroupName"]
        assert group.get("retentionInDays") == declared.get("RetentionInDays")


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_function_as_declared(
    logical_id: str, rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver
) -> None:
    declared = function_properties(logical_id)
    function = rehearsal.translated_account.client("lambda").get_function(FunctionName=built[logical_id].physical_id)
    configuration = function["Configuration"]
    assert configuration["Runtime"] == declared["Runtime"]
    assert configuration["Handler"] == declared["Handler"]
    assert configuration["MemorySize"] == declared.get("MemorySize", 128)  # Lambda's defaults
    assert configuration["Timeout"] == declared.get("Timeout", 3)
    assert configuration["PackageType"] == "Zip"
    assert configuration["CodeSize"] > 0
    variables = resolver.resolve(declared.get("Environment", {}).get("Variables", {}))
    assert configuration.get("Environment", {}).get("Variables", {}) == variables
    role_logical_id, _ = role_of(rehearsal, built, logical_id)
    assert configuration["Role"] == resolver.get_att(role_logical_id, "Arn")


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_function_settings_moto_ignores(logical_id: str, rehearsal: Rehearsal) -> None:
    # Architectures, layers, tracing and logging config: moto builds every function x86_64, without layers,
    # PassThrough and with Lambda's own log group, whatever the template says.
    declared = function_properties(logical_id)
    translated = translated_resource(rehearsal, logical_id)
    assert translated.get("Architectures", ["x86_64"]) == declared.get("Architectures", ["x86_64"])
    assert translated.get("TracingConfig") == ({"Mode": declared["Tracing"]} if declared.get("Tracing") else None)
    assert translated.get("LoggingConfig") == declared.get("LoggingConfig")
    layers, declared_layers = translated.get("Layers", []), declared.get("Layers", [])
    assert len(layers) == len(declared_layers)
    for layer, declared_layer in zip(layers, declared_layers, strict=True):
        if not isinstance(declared_layer, dict):  # a published layer's ARN
            assert layer == declared_layer
            continue
        # A layer of the template becomes a layer version named <LayerId><hash of its content>.
        assert re.fullmatch(rf"{declared_layer['Ref']}[0-9a-f]{{10}}", layer["Ref"]), layer
        assert rehearsal.translated["Resources"][layer["Ref"]]["Type"] == "AWS::Lambda::LayerVersion"


def test_layers_as_declared(rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver) -> None:
    published = rehearsal.translated_account.client("lambda").list_layers()["Layers"]
    for logical_id, resource in source_resources("AWS::Serverless::LayerVersion").items():
        declared = resolver.resolve(resource["Properties"])
        (version_id,) = [
            lid for lid in rehearsal.translated["Resources"] if re.fullmatch(rf"{logical_id}[0-9a-f]{{10}}", lid)
        ]
        assert built[version_id].status == "CREATE_COMPLETE"
        # moto names the layer after the stack and ignores CompatibleArchitectures: those two on the template.
        (layer,) = [layer for layer in published if version_id in layer["LayerName"]]
        assert layer["LatestMatchingVersion"]["CompatibleRuntimes"] == declared["CompatibleRuntimes"]
        assert layer["LatestMatchingVersion"]["Description"] == declared["Description"]
        translated = resolver.resolve(translated_resource(rehearsal, version_id))
        assert translated["LayerName"] == declared["LayerName"]
        assert translated["CompatibleArchitectures"] == declared["CompatibleArchitectures"]


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_role_grants_exactly_what_the_template_declares(
    logical_id: str, rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver
) -> None:
    iam = rehearsal.translated_account.client("iam")
    role_logical_id, role_name = role_of(rehearsal, built, logical_id)
    statements, managed = declared_grants(logical_id)
    assert all("*" not in action for action in actions_of(statements)), "wildcard actions"

    expected = sorted(statement_key(s) for s in resolver.resolve(statements + sam_added_statements(logical_id)))
    assert sorted(statement_key(s) for s in inline_statements(iam, role_name)) == expected

    # moto ignores a role's ManagedPolicyArns: what CloudFormation would attach is on the translated template,
    # and each policy must exist (moto knows AWS's own with MOTO_IAM_LOAD_MANAGED_POLICIES).
    attached = set(resolver.resolve(translated_resource(rehearsal, role_logical_id).get("ManagedPolicyArns", [])))
    assert attached == set(resolver.resolve(managed)) | sam_execution_policies(logical_id)
    for arn in attached:
        assert managed_policy_statements(iam, arn)


def test_managed_policies_of_the_template_as_declared(
    rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver
) -> None:
    iam = rehearsal.translated_account.client("iam")
    for logical_id, resource in source_resources("AWS::IAM::ManagedPolicy").items():
        declared = as_list(resource["Properties"]["PolicyDocument"]["Statement"])
        assert all("*" not in action for action in actions_of(declared)), "wildcard actions"
        built_statements = managed_policy_statements(iam, str(built[logical_id].physical_id))
        assert sorted(map(statement_key, built_statements)) == sorted(map(statement_key, resolver.resolve(declared)))


@pytest.mark.parametrize("logical_id", READ_ONLY_FUNCTIONS)
def test_read_only_functions_cannot_write(
    logical_id: str, rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver
) -> None:
    iam = rehearsal.translated_account.client("iam")
    role_logical_id, role_name = role_of(rehearsal, built, logical_id)
    granted = inline_statements(iam, role_name)
    for arn in resolver.resolve(translated_resource(rehearsal, role_logical_id).get("ManagedPolicyArns", [])):
        granted += managed_policy_statements(iam, arn)
    data_actions = {a for a in actions_of(granted) if a.split(":", 1)[0] in DATA_SERVICES}
    assert data_actions, "a GET function that reads nothing?"
    assert data_actions <= READ_ACTIONS, f"writes granted: {sorted(data_actions - READ_ACTIONS)}"


@pytest.mark.parametrize("logical_id", [lid for lid in FUNCTIONS if function_events(lid, "DynamoDB")])
def test_stream_event_source_mappings(
    logical_id: str, rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver
) -> None:
    lambda_ = rehearsal.translated_account.client("lambda")
    mappings = lambda_.list_event_source_mappings(FunctionName=built[logical_id].physical_id)["EventSourceMappings"]
    events = function_events(logical_id, "DynamoDB")
    assert len(mappings) == len(events)
    for event in events:
        declared = resolver.resolve(event)
        (mapping,) = [m for m in mappings if m["EventSourceArn"] == declared["Stream"]]
        assert mapping["State"] == "Enabled"
        for name, value in declared.items():
            if name in ESM_SAME_NAME:
                assert mapping[name] == value, name
            elif name == "FilterCriteria":
                patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
                assert patterns == [json.loads(f["Pattern"]) for f in value["Filters"]]
            elif name == "DestinationConfig":
                assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == value["OnFailure"]["Destination"]
            else:
                assert name == "Stream", f"teach this test the event property {name}"


def _declared_routes(api_id: str) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    """(path, method) -> (function, event properties) for every HttpApi event on this API."""
    return {
        (event["Path"], event["Method"].lower()): (lid, event)
        for lid in FUNCTIONS
        for event in function_events(lid, "HttpApi")
        if event.get("ApiId") == {"Ref": api_id}
    }


@pytest.mark.parametrize("api_id", sorted(source_resources("AWS::Serverless::HttpApi")))
def test_http_api_routes_and_authorizer(
    api_id: str, rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver
) -> None:
    # moto does not build AWS::ApiGatewayV2::*: the OpenAPI body CloudFormation would import is checked instead.
    declared = SOURCE["Resources"][api_id]["Properties"]
    translated = translated_resource(rehearsal, api_id)
    body = translated["Body"]
    routes = _declared_routes(api_id)
    assert {(path, method) for path, methods in body["paths"].items() for method in methods} == set(routes)
    default_authorizer = declared["Auth"]["DefaultAuthorizer"]
    for (path, method), (function, event) in routes.items():
        operation = body["paths"][path][method]
        integration = operation["x-amazon-apigateway-integration"]
        assert f"${{{function}.Arn}}" in integration["uri"]["Fn::Sub"]
        assert integration["payloadFormatVersion"] == "2.0"  # the handlers read HTTP API v2 events
        authorizer = (event.get("Auth") or {}).get("Authorizer", default_authorizer)
        # The route's scopes, else its authorizer's: what keeps ID tokens out (they carry no scope).
        scopes = (event.get("Auth") or {}).get(
            "AuthorizationScopes", declared["Auth"]["Authorizers"][authorizer].get("AuthorizationScopes", [])
        )
        assert scopes, f"{method} {path} asks for no scope: an ID token would pass"
        assert operation["security"] == [{authorizer: scopes}], f"{method} {path} is not behind {authorizer}"

    for name, spec in declared["Auth"]["Authorizers"].items():
        scheme = body["components"]["securitySchemes"][name]["x-amazon-apigateway-authorizer"]
        assert scheme["type"] == "jwt"
        assert scheme["identitySource"] == spec["IdentitySource"]
        # A Cognito access token carries iss = the pool's URL and client_id = the app client (checked as aud).
        jwt = resolver.resolve(scheme["jwtConfiguration"])
        pool, client = rehearsal.parameters["UserPoolId"], rehearsal.parameters["UserPoolClientId"]
        assert jwt == {
            "issuer": f"https://cognito-idp.{rehearsal.translated_account.region}.amazonaws.com/{pool}",
            "audience": [client],
        }

    cors = body["x-amazon-apigateway-cors"]
    origins = rehearsal.parameters.get("AllowedOrigins", SOURCE["Parameters"]["AllowedOrigins"]["Default"])
    assert cors["allowOrigins"] == origins.split(",")
    assert {method.upper() for _, method in routes} <= set(cors["allowMethods"]), "a route's method fails preflight"
    assert translated.get("FailOnWarnings") == declared.get("FailOnWarnings")

    (stage,) = [
        res["Properties"]
        for res in rehearsal.translated["Resources"].values()
        if res["Type"] == "AWS::ApiGatewayV2::Stage" and res["Properties"]["ApiId"] == {"Ref": api_id}
    ]
    assert (stage["StageName"], stage["AutoDeploy"]) == ("$default", True)
    assert stage["DefaultRouteSettings"] == declared["DefaultRouteSettings"]
    assert stage["AccessLogSettings"] == declared["AccessLogSettings"]

    # moto builds the invoke permissions, with "None" for the API id it never made.
    lambda_ = rehearsal.translated_account.client("lambda")
    for (path, method), (function, _) in routes.items():
        policy = json.loads(lambda_.get_policy(FunctionName=built[function].physical_id)["Policy"])
        source_arns = [
            s["Condition"]["ArnLike"]["AWS:SourceArn"]
            for s in policy["Statement"]
            if s["Principal"] == {"Service": "apigateway.amazonaws.com"} and s["Action"] == "lambda:InvokeFunction"
        ]
        route = re.sub(r"\{[^}]+\}", "*", path)  # SAM grants a path parameter as a wildcard
        expected = f"arn:aws:execute-api:*:*:*/*/{method.upper()}{route}"
        assert any(fnmatch.fnmatchcase(arn, expected) for arn in source_arns), f"{method} {path}: {source_arns}"


def test_every_dead_letter_queue_has_an_alarm(rehearsal: Rehearsal, built: dict[str, BuiltResource]) -> None:
    # moto does not build alarms: the translated template is what CloudFormation would create.
    alarms = {
        lid: res for lid, res in rehearsal.translated["Resources"].items() if res["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert set(alarms) == set(source_resources("AWS::CloudWatch::Alarm"))
    watched = {
        dimension["Value"]["Fn::GetAtt"][0]
        for alarm in alarms.values()
        for dimension in alarm["Properties"].get("Dimensions", [])
        if dimension["Name"] == "QueueName" and isinstance(dimension["Value"], dict)
    }
    dead_letter_queues = {
        event["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        for lid in FUNCTIONS
        for event in function_events(lid, "DynamoDB")
        if "DestinationConfig" in event
    }
    assert dead_letter_queues <= watched
    assert all(built[queue].status == "CREATE_COMPLETE" for queue in watched)


# ---------------------------------------------------------------------------------------------------------------
# Real-time delivery (the WebSocket API). moto builds no AWS::ApiGatewayV2::*: the WebSocket API is checked on the
# translated template; what moto does build (invoke permissions, roles, mappings, the table) as built.
# ---------------------------------------------------------------------------------------------------------------
WEBSOCKET_APIS = sorted(
    lid
    for lid, resource in source_resources("AWS::ApiGatewayV2::Api").items()
    if resource["Properties"].get("ProtocolType") == "WEBSOCKET"
)
_INVOKED_FUNCTION = re.compile(r"\$\{(\w+)\.Arn\}")
_INTEGRATION_TARGET = re.compile(r"integrations/\$\{(\w+)\}")


def of_api(rehearsal: Rehearsal, resource_type: str, api_id: str) -> dict[str, dict[str, Any]]:
    """The translated template's resources of a type that belong to the API: logical id -> properties."""
    return {
        lid: resource["Properties"]
        for lid, resource in rehearsal.translated["Resources"].items()
        if resource["Type"] == resource_type and resource["Properties"].get("ApiId") == {"Ref": api_id}
    }


def invoked_function(rehearsal: Rehearsal, uri: dict[str, Any]) -> str:
    """The function a Lambda integration or authorizer URI invokes (a function the translated stack creates)."""
    (function,) = _INVOKED_FUNCTION.findall(uri["Fn::Sub"])
    assert rehearsal.translated["Resources"][function]["Type"] == "AWS::Lambda::Function"
    return function


def websocket_functions(rehearsal: Rehearsal, api_id: str) -> dict[str, str]:
    """Route key (and "authorizer") -> the function API Gateway invokes for it."""
    integrations = of_api(rehearsal, "AWS::ApiGatewayV2::Integration", api_id)
    functions = {}
    for route in of_api(rehearsal, "AWS::ApiGatewayV2::Route", api_id).values():
        (integration,) = _INTEGRATION_TARGET.fullmatch(route["Target"]["Fn::Sub"]).groups()  # type: ignore[union-attr]
        assert integrations[integration]["IntegrationType"] == "AWS_PROXY"
        functions[route["RouteKey"]] = invoked_function(rehearsal, integrations[integration]["IntegrationUri"])
    (authorizer,) = of_api(rehearsal, "AWS::ApiGatewayV2::Authorizer", api_id).values()
    functions["authorizer"] = invoked_function(rehearsal, authorizer["AuthorizerUri"])
    return functions


def management_api_users() -> list[str]:
    """The functions told the WebSocket API's management endpoint: push, and the routes that close connections."""
    return [
        lid
        for lid in FUNCTIONS
        if "WEBSOCKET_MANAGEMENT_URL" in function_properties(lid).get("Environment", {}).get("Variables", {})
    ]


# C and D post a new message to both members' sockets before they answer (realtime/direct.py).
DIRECT_PUSHERS = ("CreateMessageFunction", "CreateMessageGroupFunction")


def push_function() -> str:
    """The function that posts to connections: the stream consumer told the management endpoint."""
    (function,) = [lid for lid in management_api_users() if function_events(lid, "DynamoDB")]
    return function


def granted_statements(
    rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver, function: str
) -> list[dict[str, Any]]:
    """Everything the function's role grants: its inline statements and those of its managed policies."""
    iam = rehearsal.translated_account.client("iam")
    role_logical_id, role_name = role_of(rehearsal, built, function)
    granted = inline_statements(iam, role_name)
    for arn in resolver.resolve(translated_resource(rehearsal, role_logical_id).get("ManagedPolicyArns", [])):
        granted += managed_policy_statements(iam, arn)
    return granted


@pytest.mark.parametrize("api_id", WEBSOCKET_APIS)
def test_websocket_api_routes_authorizer_and_stage(api_id: str, rehearsal: Rehearsal) -> None:
    resources = rehearsal.translated["Resources"]
    api = translated_resource(rehearsal, api_id)
    assert (api["ProtocolType"], api["RouteSelectionExpression"]) == ("WEBSOCKET", "$request.body.action")

    routes = {
        route["RouteKey"]: (lid, route) for lid, route in of_api(rehearsal, "AWS::ApiGatewayV2::Route", api_id).items()
    }
    assert set(routes) == {"$connect", "$disconnect", "$default", "typing"}
    functions = websocket_functions(rehearsal, api_id)
    assert len(set(functions.values())) == len(functions)  # a function per route and one for the authorizer

    # Only $connect is authorized (the only route API Gateway lets an authorizer guard): a Lambda REQUEST
    # authorizer reading the token from the query string, as browsers cannot set headers on a WebSocket.
    ((authorizer_id, authorizer),) = of_api(rehearsal, "AWS::ApiGatewayV2::Authorizer", api_id).items()
    assert routes["$connect"][1]["AuthorizationType"] == "CUSTOM"
    assert routes["$connect"][1]["AuthorizerId"] == {"Ref": authorizer_id}
    assert (authorizer["AuthorizerType"], authorizer["IdentitySource"]) == (
        "REQUEST",
        ["route.request.querystring.token"],
    )
    assert [key for key, (_, route) in routes.items() if route.get("AuthorizationType", "NONE") != "NONE"] == [
        "$connect"
    ]

    # $default answers a client's ping, typing its refusals: two-way, the function's body goes back to the client.
    responses = of_api(rehearsal, "AWS::ApiGatewayV2::RouteResponse", api_id).values()
    for key in ("$default", "typing"):
        route_id, route = routes[key]
        assert route["RouteResponseSelectionExpression"] == "$default", key
        assert [r["RouteResponseKey"] for r in responses if r["RouteId"] == {"Ref": route_id}] == ["$default"], key

    # One stage, auto-deployed after every route exists (its first deployment carries them all), throttled.
    ((stage_id, stage),) = of_api(rehearsal, "AWS::ApiGatewayV2::Stage", api_id).items()
    assert stage["AutoDeploy"] is True
    assert {lid for lid, _ in routes.values()} <= set(as_list(resources[stage_id].get("DependsOn")))
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0

    # Clients connect to the stage that push posts to.
    endpoint = f"${{{api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/${{{stage['StageName']['Ref']}}}"
    assert {"Fn::Sub": f"wss://{endpoint}"} in [output["Value"] for output in rehearsal.translated["Outputs"].values()]
    for function in management_api_users():
        variables = translated_resource(rehearsal, function)["Environment"]["Variables"]
        assert variables["WEBSOCKET_MANAGEMENT_URL"] == {"Fn::Sub": f"https://{endpoint}"}, function


@pytest.mark.parametrize("api_id", WEBSOCKET_APIS)
def test_websocket_functions_are_invokable_for_their_own_route_only(
    api_id: str, rehearsal: Rehearsal, built: dict[str, BuiltResource]
) -> None:
    # moto builds the connectors' invoke permissions, with "None" for the API id it never made.
    lambda_ = rehearsal.translated_account.client("lambda")
    account = rehearsal.translated_account.client("sts").get_caller_identity()["Account"]
    prefix = f"arn:aws:execute-api:{rehearsal.translated_account.region}:{account}:[^/]+/"
    for key, function in websocket_functions(rehearsal, api_id).items():
        allowed = re.compile(prefix + (r"authorizers/\*" if key == "authorizer" else r"\*/" + re.escape(key)))
        policy = json.loads(lambda_.get_policy(FunctionName=built[function].physical_id)["Policy"])
        source_arns = [
            s["Condition"]["ArnLike"]["AWS:SourceArn"]
            for s in policy["Statement"]
            if s["Principal"] == {"Service": "apigateway.amazonaws.com"} and s["Action"] == "lambda:InvokeFunction"
        ]
        assert source_arns, f"API Gateway may not invoke {function} for {key}"
        assert all(allowed.fullmatch(arn) for arn in source_arns), f"{function} ({key}): {source_arns}"


@pytest.mark.parametrize("api_id", WEBSOCKET_APIS)
def test_only_push_and_typing_post_to_connections_and_push_typing_connect_and_default_close_them_on_its_api_stage(
    api_id: str, rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver
) -> None:
    holders = {}
    for function in FUNCTIONS:
        statements = granted_statements(rehearsal, built, resolver, function)
        if managing := [s for s in statements if any(a.startswith("execute-api:") for a in as_list(s["Action"]))]:
            holders[function] = managing
    account = rehearsal.translated_account.client("sts").get_caller_identity()["Account"]
    region, stage = rehearsal.translated_account.region, rehearsal.parameters["Stage"]

    # This API (moto leaves the id of the API it never built as ${...}), this stage, one method of @connections.
    def connections(method: str) -> str:
        return f"arn:aws:execute-api:{region}:{account}:${{{api_id}}}/{stage}/{method}/@connections/*"

    routes = websocket_functions(rehearsal, api_id)
    expected = {
        push_function(): [connections("POST"), connections("DELETE")],  # expired ones closed
        routes["$connect"]: [connections("DELETE")],  # the user's oldest past the cap
        routes["$default"]: [connections("DELETE")],  # a flooding or expired connection
        # "is typing" to the other member's connections; a flooding or expired connection (its own or theirs)
        routes["typing"]: [connections("POST"), connections("DELETE")],
        # C and D's direct push: posts only (expired connections skipped, gone ones left to the stream's push)
        **{key: [connections("POST")] for key in DIRECT_PUSHERS},
    }
    assert set(holders) == set(expected)
    for function, statements in holders.items():
        (statement,) = statements
        assert as_list(statement["Action"]) == ["execute-api:ManageConnections"], function
        assert as_list(statement["Resource"]) == expected[function], function


@pytest.mark.parametrize("api_id", WEBSOCKET_APIS)
def test_the_connections_table_is_touched_only_as_each_function_needs(
    api_id: str, rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver
) -> None:
    table = connections_table()
    table_arn = resolver.get_att(table, "Arn")
    granted = {}
    for function in FUNCTIONS:
        # (action, what of the table): "" the table itself, "/index/<name>" one of its indexes.
        grants = {
            (action, str(resource).removeprefix(table_arn))
            for statement in granted_statements(rehearsal, built, resolver, function)
            for resource in as_list(statement.get("Resource"))
            if str(resource) == table_arn or str(resource).startswith(f"{table_arn}/")
            for action in as_list(statement["Action"])
        }
        if grants:
            granted[function] = grants
    functions = websocket_functions(rehearsal, api_id)
    assert granted == {
        # $connect stores the connection, then reads the user's and forgets those past the cap.
        functions["$connect"]: {("dynamodb:PutItem", ""), ("dynamodb:Query", ""), ("dynamodb:DeleteItem", "")},
        # $disconnect knows only the connection id: its index gives the item's keys, then one DeleteItem.
        functions["$disconnect"]: {("dynamodb:Query", "/index/connection-id-index"), ("dynamodb:DeleteItem", "")},
        push_function(): {("dynamodb:Query", ""), ("dynamodb:DeleteItem", "")},
        # typing: the caller by its connection id, then the other member's connections as push finds them.
        functions["typing"]: {
            ("dynamodb:Query", "/index/connection-id-index"),
            ("dynamodb:Query", ""),
            ("dynamodb:DeleteItem", ""),
        },
        # C and D's direct push: both members' connections, nothing written.
        **{key: {("dynamodb:Query", "")} for key in DIRECT_PUSHERS},
    }


@pytest.mark.parametrize("api_id", WEBSOCKET_APIS)
def test_each_websocket_function_is_granted_exactly_what_its_route_needs(
    api_id: str, rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver
) -> None:
    iam = rehearsal.translated_account.client("iam")
    table_arn = resolver.get_att(connections_table(), "Arn")
    read_connection_url = data_grants(managed_policy_statements(iam, str(built["ReadConnectionUrlPolicy"].physical_id)))
    assert {action for action, _ in read_connection_url} == {"ssm:GetParameter", "kms:Decrypt"}
    limits_arn = resolver.get_att(limits_table(), "Arn")
    account = rehearsal.translated_account.client("sts").get_caller_identity()["Account"]
    region, stage = rehearsal.translated_account.region, rehearsal.parameters["Stage"]
    close = (
        "execute-api:ManageConnections",
        f"arn:aws:execute-api:{region}:{account}:${{{api_id}}}/{stage}/DELETE/@connections/*",
    )
    granted = {
        key: data_grants(granted_statements(rehearsal, built, resolver, function))
        for key, function in websocket_functions(rehearsal, api_id).items()
    }
    assert granted == {
        "authorizer": set(),  # it checks the token, nothing more: no table, no PostgreSQL
        "$connect": {  # the sub's user, from PostgreSQL; the connection stored; the oldest past the cap closed
            ("dynamodb:PutItem", table_arn),
            ("dynamodb:Query", table_arn),
            ("dynamodb:DeleteItem", table_arn),
            close,
            *read_connection_url,
        },
        "$disconnect": {
            ("dynamodb:Query", f"{table_arn}/index/connection-id-index"),
            ("dynamodb:DeleteItem", table_arn),
        },
        # A ping answered; every frame counted against its connection's limit; a flooding one closed.
        "$default": {("dynamodb:GetItem", limits_arn), ("dynamodb:UpdateItem", limits_arn), close},
        # $default's limit (and the relay's own), the caller by connection id, both group items, the other member's
        # connections posted to (gone ones forgotten, expired ones closed). Nothing written to the messages table.
        "typing": {
            ("dynamodb:GetItem", limits_arn),
            ("dynamodb:UpdateItem", limits_arn),
            ("dynamodb:Query", f"{table_arn}/index/connection-id-index"),
            ("dynamodb:Query", table_arn),
            ("dynamodb:DeleteItem", table_arn),
            ("dynamodb:GetItem", resolver.get_att(MESSAGES_TABLE, "Arn")),
            (
                "execute-api:ManageConnections",
                f"arn:aws:execute-api:{region}:{account}:${{{api_id}}}/{stage}/POST/@connections/*",
            ),
            close,
        },
    }


def data_grants(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(action, resource) of every allowed data-plane action (logs and the like left out)."""
    return {
        (action, str(resource))
        for statement in statements
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
        if action.split(":", 1)[0] in DATA_SERVICES
        for resource in as_list(statement.get("Resource"))
    }


def table_known_as(variable: str) -> str:
    """The table the functions know as the environment variable ``variable``: the one whose TableName is the
    variable's value, the same intrinsic (RATE_LIMITS_TABLE: ``!Sub <MessagesTableName>-limits``; CONNECTIONS_TABLE:
    ``!Ref`` of the parameter that names the table). Every function that has the variable gives it one value."""
    (value,) = {
        json.dumps(variables[variable], sort_keys=True)
        for lid in FUNCTIONS
        if variable in (variables := function_properties(lid).get("Environment", {}).get("Variables", {}))
    }
    (table,) = [lid for lid in TABLES if SOURCE["Resources"][lid]["Properties"]["TableName"] == json.loads(value)]
    return table


def limits_table() -> str:
    return table_known_as("RATE_LIMITS_TABLE")


def connections_table() -> str:
    return table_known_as("CONNECTIONS_TABLE")


def test_the_connections_table_is_keyed_by_user_and_connection_and_expires(
    rehearsal: Rehearsal, built: dict[str, BuiltResource]
) -> None:
    table = connections_table()
    described = rehearsal.translated_account.client("dynamodb").describe_table(TableName=built[table].physical_id)
    assert described["Table"]["KeySchema"] == [
        {"AttributeName": "user_uuid", "KeyType": "HASH"},
        {"AttributeName": "connection_id", "KeyType": "RANGE"},
    ]
    # $disconnect's way from a connection id to the item's keys: one index, of the keys only.
    indexes = {
        index["IndexName"]: (index["KeySchema"], index["Projection"])
        for index in described["Table"].get("GlobalSecondaryIndexes", [])
    }
    by_connection_id = [{"AttributeName": "connection_id", "KeyType": "HASH"}]
    assert indexes == {"connection-id-index": (by_connection_id, {"ProjectionType": "KEYS_ONLY"})}
    assert not described["Table"].get("LocalSecondaryIndexes")
    # moto ignores TTL: the translated template is what CloudFormation would apply (connect + 2 h, set by $connect).
    ttl = translated_resource(rehearsal, table)["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}


def test_each_stream_consumer_has_its_own_mapping_and_dead_letter_queue(
    rehearsal: Rehearsal, built: dict[str, BuiltResource], resolver: StackResolver
) -> None:
    # Pattern E and push: separate mappings, so one's position, retries and failures never touch the other's.
    lambda_ = rehearsal.translated_account.client("lambda")
    consumers = [lid for lid in FUNCTIONS if function_events(lid, "DynamoDB")]
    assert push_function() in consumers
    assert len(consumers) == 2
    mappings = {}
    for function in consumers:
        (mapping,) = lambda_.list_event_source_mappings(FunctionName=built[function].physical_id)["EventSourceMappings"]
        mappings[function] = mapping
    assert {m["EventSourceArn"] for m in mappings.values()} == {resolver.get_att(MESSAGES_TABLE, "StreamArn")}
    # Push gets every record pattern E gets (new messages), whatever else it takes.
    patterns = {
        function: [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
        for function, mapping in mappings.items()
    }
    (stream_function,) = [function for function in consumers if function != push_function()]
    assert all(pattern in patterns[push_function()] for pattern in patterns[stream_function])
    assert all("ReportBatchItemFailures" in m["FunctionResponseTypes"] for m in mappings.values())
    queues = [m["DestinationConfig"]["OnFailure"]["Destination"] for m in mappings.values()]
    assert len(set(queues)) == len(queues)
    dead_letter_queues = [lid for lid in QUEUES if resolver.get_att(lid, "Arn") in queues]
    assert len(dead_letter_queues) == len(queues)
    assert all(built[lid].status == "CREATE_COMPLETE" for lid in dead_letter_queues)


# ---------------------------------------------------------------------------------------------------------------
# Failures moto or CloudFormation record are failures of the rehearsal
# ---------------------------------------------------------------------------------------------------------------
class _RecordedStack:
    """A CloudFormation client answering for one stack that ended as recorded (moto itself never records
    CREATE_FAILED: it answers a resource it cannot create with a 500, which the fixture reports)."""

    def __init__(self, status: str, events: list[dict[str, Any]], resources: list[dict[str, Any]]) -> None:
        self.status, self.events, self.resources = status, events, resources

    def create_stack(self, **_: Any) -> None:
        return None

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackName": StackName, "StackStatus": self.status}]}

    def describe_stack_resources(self, StackName: str) -> dict[str, Any]:
        return {"StackResources": self.resources}

    def get_paginator(self, _operation: str) -> Any:
        events = self.events

        class _Pages:
            def paginate(self, **_: Any) -> list[dict[str, Any]]:
                return [{"StackEvents": events}]

        return _Pages()


def test_a_failed_resource_fails_the_stack_with_its_reason() -> None:
    failed = {
        "LogicalResourceId": "MessagesTable",
        "ResourceType": "AWS::DynamoDB::Table",
        "ResourceStatus": "CREATE_FAILED",
        "ResourceStatusReason": "One or more parameter values were invalid",
    }
    stack = _RecordedStack("ROLLBACK_COMPLETE", [failed], [])
    assert stack_failures(stack, "s") == [
        "MessagesTable (AWS::DynamoDB::Table) CREATE_FAILED: One or more parameter values were invalid"
    ]
    with pytest.raises(RehearsalError, match=r"MessagesTable .* CREATE_FAILED: One or more parameter values"):
        create_stack(stack, "s", {"Resources": {}}, {})


def test_a_failed_event_fails_even_a_complete_stack() -> None:
    event = {"LogicalResourceId": "Queue", "ResourceType": "AWS::SQS::Queue", "ResourceStatus": "UPDATE_FAILED"}
    with pytest.raises(RehearsalError, match=r"Queue .* UPDATE_FAILED: no reason given"):
        create_stack(_RecordedStack("CREATE_COMPLETE", [event], []), "s", {"Resources": {}}, {})
