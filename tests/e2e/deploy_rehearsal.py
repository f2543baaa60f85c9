"""Rehearse ``sam deploy`` on moto server: no AWS account, no Docker.

Two stacks come out of one ``sam build`` and ``sam package``:

- the *sam deploy* stack: ``sam deploy`` exactly as an operator runs it (change set, artifacts in S3). moto has
  no SAM transform, so its ``AWS::Serverless::*`` resources are accepted but never built;
- the *translated* stack: what CloudFormation makes of the same packaged template, by aws-sam-translator (the
  library behind CloudFormation's SAM transform), created with ``create_stack``. moto builds its functions,
  roles, layer, event source mapping, tables and queue, so they can be inspected.

Facts of moto server (5.2.5, requirements-dev.txt) this relies on: its S3 takes the bucket from the host name, so the
endpoint is ``localhost`` (never ``127.0.0.1``); ``--resolve-s3`` cannot work (moto gives change-set stacks no
outputs), so the bucket is made first; its Lambda must be told not to use Docker; a resource type it has no
model for is accepted and listed without a logical id, never built, and a ``${X}`` naming such a resource is
left in place in the strings that use it; a resource it cannot create fails the whole call with a bare 500 (the
reason is in its log), never as CREATE_FAILED. So in the *sam deploy* stack nothing but ``AWS::Serverless::*``
may reference a function: a plain ``AWS::Lambda::Permission`` on one fails there (its function was never
built), which is why the WebSocket API's invoke permissions are SAM connectors.
"""

import ast
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from samtranslator.public.parser import Parser
from samtranslator.public.translator import ManagedPolicyLoader, Translator

from tooling.moto_clients import MOTO_CREDENTIALS, moto_client
from tooling.paths import PROJECT_ROOT, TEMPLATE_PATH
from tooling.sam_transform import transform_parameter_values

ARTIFACT_BUCKET = "cruddur-deploy-rehearsal"
# The user pool is only named in the authorizer's issuer and audience: moto needs no pool for the deploy.
REHEARSAL_POOL = {"UserPoolId": "us-east-1_rehearsal", "UserPoolClientId": "rehearsalclient"}
_FAILED = re.compile(r"FAILED|ROLLBACK")
_SAM_TIMEOUT_SECONDS = 300
_STACK_TIMEOUT_SECONDS = 30


class RehearsalError(Exception):
    """A step of the rehearsal failed; the message carries what the tool or moto said."""


# ---------------------------------------------------------------------------------------------------------------
# moto and the SAM CLI
# ---------------------------------------------------------------------------------------------------------------
def moto_endpoint(port: int) -> str:
    # localhost, not 127.0.0.1: moto's S3 reads the bucket from the host and would look for a bucket "127".
    return f"http://localhost:{port}"


def run_lambda_without_docker(endpoint_url: str) -> None:
    """moto's Lambda otherwise tries to start Docker containers for the functions it creates."""
    request = urllib.request.Request(  # noqa: S310 - the loopback moto server
        f"{endpoint_url}/moto-api/config",
        data=json.dumps({"lambda": {"use_docker": False}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - the loopback moto server
        pass


def sam_environment(endpoint_url: str, region: str) -> dict[str, str]:
    """The SAM CLI's environment: every AWS call to moto, and our venv's python3.12 first (``sam build`` runs it)."""
    env = {
        name: value
        for name, value in os.environ.items()
        # A profile or a per-service endpoint of the caller's shell would send some calls elsewhere.
        if not name.startswith("AWS_ENDPOINT_URL") and name not in {"AWS_PROFILE", "AWS_SESSION_TOKEN"}
    }
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        SAM_CLI_TELEMETRY="0",
        # sam deploy polls moto every 5 s by default; moto answers at once.
        SAM_CLI_POLL_DELAY="0.5",
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_DEFAULT_REGION=region,
        AWS_REGION=region,
        AWS_ACCESS_KEY_ID=MOTO_CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=MOTO_CREDENTIALS["aws_secret_access_key"],
    )
    return env


def run_sam(arguments: list[str], env: Mapping[str, str]) -> str:
    """Runs ``sam`` from the project root (where samconfig.toml is read, as for an operator); its output."""
    sam = Path(sys.executable).parent / "sam"
    completed = subprocess.run(  # noqa: S603 - our own venv's sam, our own arguments
        [str(sam), *arguments],
        cwd=PROJECT_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=_SAM_TIMEOUT_SECONDS,
        check=False,
    )
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise RehearsalError(f"sam {arguments[0]} exited with {completed.returncode}:\n{output[-4000:]}")
    return output


def parameter_overrides(parameters: Mapping[str, str]) -> str:
    return " ".join(f"{name}={value}" for name, value in parameters.items())


def sam_build(work_dir: Path, env: Mapping[str, str], template: Path = TEMPLATE_PATH) -> Path:
    """``sam build`` into ``work_dir``; the built template."""
    build_dir = work_dir / "build"
    # --no-cached overrides samconfig.toml: a cached build keeps dependencies in the project's .aws-sam/deps,
    # which other builds of the working tree use and prune.
    run_sam(
        [
            "build",
            "--template-file",
            str(template),
            "--build-dir",
            str(build_dir),
            "--cache-dir",
            str(work_dir / "cache"),
            "--no-cached",
        ],
        env,
    )
    return build_dir / "template.yaml"


def sam_package(built_template: Path, output: Path, bucket: str, env: Mapping[str, str]) -> dict[str, Any]:
    """``sam package``: artifacts uploaded to ``bucket``; the packaged template (JSON, so no YAML tags to read)."""
    run_sam(
        [
            "package",
            "--template-file",
            str(built_template),
            "--s3-bucket",
            bucket,
            "--output-template-file",
            str(output),
            "--use-json",
        ],
        env,
    )
    return json.loads(output.read_text())


def sam_deploy(
    packaged_template: Path,
    stack_name: str,
    bucket: str,
    *,
    parameters: Mapping[str, str],
    region: str,
    env: Mapping[str, str],
) -> str:
    """``sam deploy`` with samconfig.toml's default environment, overriding only what moto or a test needs."""
    return run_sam(
        [
            "deploy",
            "--template-file",
            str(packaged_template),
            "--stack-name",
            stack_name,
            "--s3-bucket",
            bucket,
            "--no-resolve-s3",
            "--region",
            region,
            "--parameter-overrides",
            parameter_overrides(parameters),
            "--no-confirm-changeset",
            "--no-fail-on-empty-changeset",
            "--no-progressbar",
        ],
        env,
    )


# ---------------------------------------------------------------------------------------------------------------
# The SAM transform
# ---------------------------------------------------------------------------------------------------------------
def translate(
    sam_template: dict[str, Any], parameters: Mapping[str, str], iam_client: Any, region: str
) -> dict[str, Any]:
    """The CloudFormation template the SAM transform makes of ``sam_template`` (a packaged one: S3 code URIs).

    Called the way SAM CLI's own validator calls the translator; AWS managed policy names resolve through the
    given IAM client (moto's knows them when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true).
    """
    translator = Translator(
        managed_policy_map=None,
        sam_parser=Parser(),
        plugins=[],
        boto_session=boto3.Session(region_name=region),
    )
    return translator.translate(
        sam_template=json.loads(json.dumps(sam_template)),  # the translator edits its input in place
        parameter_values=transform_parameter_values(sam_template, parameters),
        get_managed_policy_map=ManagedPolicyLoader(iam_client).load,
    )


# ---------------------------------------------------------------------------------------------------------------
# Stacks on moto
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BuiltResource:
    logical_id: str
    resource_type: str
    physical_id: str | None
    status: str


def create_stack(cloudformation: Any, stack_name: str, template: dict[str, Any], parameters: Mapping[str, str]) -> None:
    """``create_stack`` and wait; any failure moto reports (stack, resource or event) raises with its reasons."""
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": name, "ParameterValue": value} for name, value in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    # moto creates every resource within the call; a stack still in progress means one never became ready.
    deadline = time.monotonic() + _STACK_TIMEOUT_SECONDS
    while stack_status(cloudformation, stack_name).endswith("IN_PROGRESS"):
        if time.monotonic() > deadline:
            raise RehearsalError(f"stack {stack_name} still in progress after {_STACK_TIMEOUT_SECONDS} s")
        time.sleep(0.2)
    failures = stack_failures(cloudformation, stack_name)
    if failures or stack_status(cloudformation, stack_name) != "CREATE_COMPLETE":
        raise RehearsalError(f"stack {stack_name}: {stack_status(cloudformation, stack_name)}; " + "; ".join(failures))


def stack_status(cloudformation: Any, stack_name: str) -> str:
    return cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]


def stack_failures(cloudformation: Any, stack_name: str) -> list[str]:
    """Every failure moto recorded for the stack: failed or rolled-back events and resources, with reasons."""
    events = _all_stack_events(cloudformation, stack_name)
    resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    return [
        f"{row.get('LogicalResourceId', '?')} ({row.get('ResourceType', '?')}) {row['ResourceStatus']}: "
        f"{row.get('ResourceStatusReason', 'no reason given')}"
        for row in [*events, *resources]
        if _FAILED.search(row["ResourceStatus"])
    ]


def _all_stack_events(cloudformation: Any, stack_name: str) -> Iterator[dict[str, Any]]:
    for page in cloudformation.get_paginator("describe_stack_events").paginate(StackName=stack_name):
        yield from page["StackEvents"]


def built_resources(cloudformation: Any, stack_name: str) -> dict[str, BuiltResource]:
    """What moto built, by logical id. Types moto cannot model come back without a logical id: left out."""
    rows = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    return {
        row["LogicalResourceId"]: BuiltResource(
            row["LogicalResourceId"], row["ResourceType"], row.get("PhysicalResourceId"), row["ResourceStatus"]
        )
        for row in rows
        if "LogicalResourceId" in row
    }


def unbuilt_resources(template: dict[str, Any], built: Mapping[str, BuiltResource]) -> dict[str, str]:
    """Resources of ``template`` moto accepted without building them: logical id -> type."""
    return {
        logical_id: resource["Type"]
        for logical_id, resource in template["Resources"].items()
        if logical_id not in built
    }


def policy_document(raw: str | dict[str, Any]) -> dict[str, Any]:
    """An IAM policy document as moto returns it.

    moto keeps a role's inline policies from CloudFormation as dicts and renders them with Python's str(), so
    GetRolePolicy can answer ``{'Version': ...}`` (single quotes) instead of JSON.
    """
    if isinstance(raw, dict):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return ast.literal_eval(raw)


class StackResolver:
    """Resolves template values (Ref, Fn::GetAtt, Fn::Sub) to what moto built for a stack.

    Knows the attributes this project's templates use; an unknown one raises, so a new kind of reference
    is noticed rather than compared as a dict.
    """

    def __init__(
        self,
        template: dict[str, Any],
        parameters: Mapping[str, str],
        built: Mapping[str, BuiltResource],
        clients: Callable[[str], Any],
        region: str,
    ) -> None:
        self._template, self._built, self._clients, self._region = template, built, clients, region
        defaults = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
        self._account = clients("sts").get_caller_identity()["Account"]
        self._names = {
            **defaults,
            **parameters,
            "AWS::Region": region,
            "AWS::AccountId": self._account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            resource, attribute = target.split(".", 1) if isinstance(target, str) else target
            return self.get_att(resource, attribute)
        if set(value) == {"Fn::Sub"}:
            return self._sub(value["Fn::Sub"])
        return {key: self.resolve(item) for key, item in value.items()}

    def ref(self, name: str) -> str:
        if name in self._names:
            return self._names[name]
        return self._physical_id(name)

    def get_att(self, resource: str, attribute: str) -> str:
        resource_type = self._template["Resources"][resource]["Type"]
        physical = self._physical_id(resource)
        getters: dict[tuple[str, str], Callable[[], str]] = {
            ("AWS::DynamoDB::Table", "Arn"): lambda: self._table(physical)["TableArn"],
            ("AWS::DynamoDB::Table", "StreamArn"): lambda: self._table(physical)["LatestStreamArn"],
            ("AWS::SQS::Queue", "Arn"): lambda: self._queue_arn(physical),
            ("AWS::SQS::Queue", "QueueName"): lambda: physical.rsplit("/", 1)[-1],
            ("AWS::Lambda::Function", "Arn"): lambda: self._clients("lambda").get_function(FunctionName=physical)[
                "Configuration"
            ]["FunctionArn"],
            ("AWS::IAM::Role", "Arn"): lambda: self._clients("iam").get_role(RoleName=physical)["Role"]["Arn"],
            ("AWS::Logs::LogGroup", "Arn"): lambda: (
                f"arn:aws:logs:{self._region}:{self._account}:log-group:{physical}:*"
            ),
        }
        if (resource_type, attribute) not in getters:
            raise RehearsalError(f"StackResolver does not know {resource_type}.{attribute} ({resource})")
        return getters[resource_type, attribute]()

    def _sub(self, spec: str | list[Any]) -> str:
        text, variables = (spec, {}) if isinstance(spec, str) else (spec[0], spec[1])

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and name.split(".", 1)[0] in self._template["Resources"]:
                return self.get_att(*name.split(".", 1))
            if self.unbuilt(name):
                return match.group(0)  # moto leaves ${X} in place for a resource it never built
            return self.ref(name)

        return re.sub(r"\$\{([\w:.]+)\}", one, text)

    def unbuilt(self, name: str) -> bool:
        """A resource of the template moto accepted without building it (an ``AWS::ApiGatewayV2::*``)."""
        return name in self._template["Resources"] and self._built.get(name) is None

    def _physical_id(self, logical_id: str) -> str:
        built = self._built.get(logical_id)
        if built is None or built.physical_id is None:
            raise RehearsalError(f"moto built no {logical_id}: nothing to resolve it to")
        return built.physical_id

    def _table(self, name: str) -> dict[str, Any]:
        return self._clients("dynamodb").describe_table(TableName=name)["Table"]

    def _queue_arn(self, url: str) -> str:
        attributes = self._clients("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return attributes["Attributes"]["QueueArn"]


# ---------------------------------------------------------------------------------------------------------------
# The whole rehearsal
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MotoAccount:
    """One moto server, seen as one AWS account and region."""

    endpoint_url: str
    region: str = "us-east-1"

    def client(self, service: str) -> Any:
        return moto_client(service, self.endpoint_url, self.region)


@dataclass(frozen=True)
class Rehearsal:
    sam_account: MotoAccount  # where sam deploy deployed the packaged template
    translated_account: MotoAccount  # where the translated template was created
    stack_name: str  # the same in both accounts
    parameters: dict[str, str]  # the same for both stacks
    packaged: dict[str, Any]  # the template sam package wrote and sam deploy deployed
    translated: dict[str, Any]  # the same after the SAM transform


def prepare_account(account: MotoAccount) -> None:
    run_lambda_without_docker(account.endpoint_url)
    account.client("s3").create_bucket(Bucket=ARTIFACT_BUCKET)


def copy_artifacts(source: MotoAccount, target: MotoAccount, bucket: str = ARTIFACT_BUCKET) -> None:
    """The packaged code, copied to the other account: its Lambda reads function and layer code from S3."""
    source_s3, target_s3 = source.client("s3"), target.client("s3")
    for page in source_s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for listed in page.get("Contents", []):
            body = source_s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read()
            target_s3.put_object(Bucket=bucket, Key=listed["Key"], Body=body)


def rehearse(
    sam_account: MotoAccount,
    translated_account: MotoAccount,
    work_dir: Path,
    parameters: Mapping[str, str],
    stack_name: str = "cruddur-messages-rehearsal",
) -> Rehearsal:
    """Build, package and ``sam deploy`` to one account; translate the packaged template and create it in the other.

    Two moto servers rather than two stacks in one, so that both stacks get the same parameters and names
    fixed in the template cannot collide.
    """
    for account in (sam_account, translated_account):
        prepare_account(account)
    env = sam_environment(sam_account.endpoint_url, sam_account.region)
    packaged_path = work_dir / "packaged.json"
    packaged = sam_package(sam_build(work_dir, env), packaged_path, ARTIFACT_BUCKET, env)
    sam_deploy(packaged_path, stack_name, ARTIFACT_BUCKET, parameters=parameters, region=sam_account.region, env=env)

    copy_artifacts(sam_account, translated_account)
    translated = translate(packaged, parameters, translated_account.client("iam"), translated_account.region)
    # Kept next to packaged.json for whoever debugs a failing rehearsal.
    (work_dir / "translated.json").write_text(json.dumps(translated, indent=2))
    create_stack(translated_account.client("cloudformation"), stack_name, translated, parameters)
    return Rehearsal(sam_account, translated_account, stack_name, dict(parameters), packaged, translated)
