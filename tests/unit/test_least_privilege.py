"""What the deployed stack may do, read after the SAM transform (tooling/sam_transform.py), so that the roles and
policies SAM adds are judged too: no stream, KMS key or other resource granted as "*" beyond a justified list.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from tooling.sam_transform import aws_managed_policy_statements, translate_offline

TRANSLATED = translate_offline()
RESOURCES: dict[str, dict[str, Any]] = TRANSLATED["Resources"]
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
STREAM_READ = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
FUNCTION_LOGS = {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${FunctionLogs}:*"}
CONNECTION_URL_PARAMETER = {
    "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ConnectionUrlParameterName}"
}

# Actions that may be granted on "*", by the policy that grants them, and why.
ALLOWED_ON_ANY_RESOURCE = {
    # The Service Authorization Reference gives ListStreams no resource type: "*" is the only way to grant it.
    # It lists stream ARNs, never records; Lambda asks for it with the stream's read actions.
    ("StreamConsumerPolicy", "dynamodb:ListStreams"),
    # SAM attaches AWS's basic execution policy to every role it generates (all functions but the stream
    # consumers, whose roles are the template's): log writes only, no read or delete of any log.
    (BASIC_EXECUTION, "logs:CreateLogGroup"),
    (BASIC_EXECUTION, "logs:CreateLogStream"),
    (BASIC_EXECUTION, "logs:PutLogEvents"),
}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def of_type(resource_type: str) -> dict[str, dict[str, Any]]:
    return {lid: res["Properties"] for lid, res in RESOURCES.items() if res["Type"] == resource_type}


def role_statements(role: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(granting policy, statement) for everything a role grants: inline, template and AWS managed policies."""
    properties = of_type("AWS::IAM::Role")[role]
    for policy in properties.get("Policies", []):
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            yield f"{role}/{policy['PolicyName']}", statement
    for arn in properties.get("ManagedPolicyArns", []):
        if isinstance(arn, str):
            for statement in aws_managed_policy_statements(arn):
                yield arn, statement
        else:
            (policy,) = arn.values()  # {"Ref": <a managed policy of the template>}
            for statement in as_list(of_type("AWS::IAM::ManagedPolicy")[policy]["PolicyDocument"]["Statement"]):
                yield policy, statement


def all_statements() -> list[tuple[str, dict[str, Any]]]:
    granted = [entry for role in of_type("AWS::IAM::Role") for entry in role_statements(role)]
    for resource_type in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for lid, properties in of_type(resource_type).items():
            granted += [(lid, s) for s in as_list(properties["PolicyDocument"]["Statement"])]
    return granted


def function_role(function: str) -> str:
    return of_type("AWS::Lambda::Function")[function]["Role"]["Fn::GetAtt"][0]


def grants(role: str) -> set[tuple[str, str]]:
    """(action, resource) pairs of a role's Allow statements, resources as their JSON text."""
    return {
        (action, repr(resource))
        for _, statement in role_statements(role)
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }


def test_the_transform_has_roles_and_policies_to_judge() -> None:
    assert len(of_type("AWS::Lambda::Function")) >= 10
    assert all(function_role(f) in of_type("AWS::IAM::Role") for f in of_type("AWS::Lambda::Function"))


def test_nothing_is_granted_on_any_resource_beyond_the_justified_list() -> None:
    on_any = {
        (source, action)
        for source, statement in all_statements()
        if statement["Effect"] == "Allow" and "*" in as_list(statement.get("Resource"))
        for action in as_list(statement["Action"])
    }
    assert on_any <= ALLOWED_ON_ANY_RESOURCE, sorted(on_any - ALLOWED_ON_ANY_RESOURCE)


def test_the_template_s_own_statements_name_their_actions() -> None:
    authored = [(source, s) for source, s in all_statements() if not source.startswith("arn:aws:iam::aws:policy/")]
    assert authored
    wildcards = [(source, a) for source, s in authored for a in as_list(s["Action"]) if "*" in a]
    assert not wildcards
    assert all(s["Effect"] == "Allow" and "NotAction" not in s and "NotResource" not in s for _, s in authored)


def test_the_only_aws_managed_policy_is_the_basic_execution_role() -> None:
    # AWSLambdaDynamoDBExecutionRole (every stream of the account) above all: the stream consumers' roles are ours.
    roles = of_type("AWS::IAM::Role").values()
    attached = {arn for role in roles for arn in role.get("ManagedPolicyArns", []) if isinstance(arn, str)}
    assert attached == {BASIC_EXECUTION}


def test_streams_are_read_only_as_this_table_s_stream() -> None:
    readers = [(source, s) for source, s in all_statements() if STREAM_READ & set(as_list(s["Action"]))]
    assert readers
    for source, statement in readers:
        assert as_list(statement["Resource"]) == [{"Fn::GetAtt": ["MessagesTable", "StreamArn"]}], source


@pytest.mark.parametrize("mapping", sorted(of_type("AWS::Lambda::EventSourceMapping")))
def test_each_stream_consumer_may_read_its_stream_and_send_to_its_dead_letter_queue(mapping: str) -> None:
    # SAM grants these only to a role it generates; without them the event source mapping cannot be created.
    properties = of_type("AWS::Lambda::EventSourceMapping")[mapping]
    (function,) = properties["FunctionName"].values()
    granted = grants(function_role(function))
    for action in STREAM_READ:
        assert (action, repr(properties["EventSourceArn"])) in granted, action
    assert ("dynamodb:ListStreams", repr("*")) in granted
    destination = properties["DestinationConfig"]["OnFailure"]["Destination"]
    assert ("sqs:SendMessage", repr(destination)) in granted


@pytest.mark.parametrize("function", sorted(of_type("AWS::Lambda::Function")))
def test_every_function_may_write_its_logs(function: str) -> None:
    assert of_type("AWS::Lambda::Function")[function]["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogs"}
    granted = grants(function_role(function))
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        assert (action, repr(FUNCTION_LOGS)) in granted or (action, repr("*")) in granted, action


def test_kms_decrypts_only_the_connection_url_through_ssm() -> None:
    kms = [(source, s) for source, s in all_statements() if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert kms
    for source, statement in kms:
        assert as_list(statement["Action"]) == ["kms:Decrypt"], source
        assert "*" not in as_list(statement["Resource"]), source
        condition = statement["Condition"]["StringEquals"]
        assert condition["kms:ViaService"] == {"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"}, source
        # The encryption context Parameter Store decrypts with: this parameter's ARN, nothing else.
        assert condition["kms:EncryptionContext:PARAMETER_ARN"] == CONNECTION_URL_PARAMETER, source


def test_ssm_reads_only_the_connection_url_parameter() -> None:
    ssm = [s for _, s in all_statements() if any(a.startswith("ssm:") for a in as_list(s["Action"]))]
    assert ssm
    for statement in ssm:
        assert as_list(statement["Action"]) == ["ssm:GetParameter"]
        assert as_list(statement["Resource"]) == [CONNECTION_URL_PARAMETER]


def test_every_invoke_permission_names_its_source() -> None:
    permissions = of_type("AWS::Lambda::Permission")
    assert permissions
    for lid, permission in permissions.items():
        assert permission["Action"] == "lambda:InvokeFunction", lid
        assert permission.get("SourceArn"), f"{lid}: any {permission['Principal']} resource could invoke"


def test_the_report_function_reads_messages_and_only_adds_reports() -> None:
    # A reporter's function must not change a message, nor read or change other reports (the moderators' store).
    dynamodb = {
        (action, resource)
        for action, resource in grants(function_role("ReportMessageFunction"))
        if action.startswith("dynamodb:")
    }
    assert dynamodb == {
        ("dynamodb:GetItem", repr({"Fn::GetAtt": ["MessagesTable", "Arn"]})),
        ("dynamodb:PutItem", repr({"Fn::GetAtt": ["ReportsTable", "Arn"]})),
        ("dynamodb:GetItem", repr({"Fn::GetAtt": ["RateLimitsTable", "Arn"]})),
        ("dynamodb:UpdateItem", repr({"Fn::GetAtt": ["RateLimitsTable", "Arn"]})),
    }


def test_nothing_but_the_report_function_touches_the_reports_table() -> None:
    # The operators resolve reports with their own credentials (bin/moderation/resolve), never through a function.
    writers = {
        function
        for function in of_type("AWS::Lambda::Function")
        for _, resource in grants(function_role(function))
        if "ReportsTable" in resource
    }
    assert writers == {"ReportMessageFunction"}
