"""template.yaml, read once, as the single source of truth for tables, functions, routes and environment.

Only the intrinsics the template uses are resolved (Ref, Sub, GetAtt); resources resolve to what the local stack
calls them (a table to its TableName, anything else to a local ARN-like name).
"""

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from tooling.paths import TEMPLATE_PATH

LOCAL_ACCOUNT = "000000000000"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns short-form intrinsics (``!Ref X``) into their long form (``{"Ref": "X"}``)."""


def _intrinsic(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str  # with {name} placeholders, as in the template

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when ``method path`` is this route, else None."""
        if method.upper() != self.method:
            return None
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        found = re.fullmatch(pattern, path)
        return found.groupdict() if found else None


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    http_routes: tuple[HttpRoute, ...]
    stream_events: tuple[dict[str, Any], ...]
    timeout_seconds: float = 3.0  # Lambda's default, when neither the function nor Globals set one
    memory_mb: int = 128  # likewise
    architecture: str = "x86_64"  # likewise (Architectures holds one)


def _architecture(architectures: list[str] | None) -> str:
    return architectures[0] if architectures else "x86_64"  # Lambda's default


class Template:
    def __init__(
        self,
        path: Path = TEMPLATE_PATH,
        parameter_overrides: dict[str, str] | None = None,
        region: str = "us-east-1",
    ) -> None:
        self.path = path
        self.document: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
        self.region = region
        self.parameters = {
            name: str((parameter_overrides or {}).get(name, spec.get("Default", "")))
            for name, spec in (self.document.get("Parameters") or {}).items()
        }

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.document["Resources"]

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: res for name, res in self.resources.items() if res["Type"] == resource_type}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self._ref(value["Ref"])
        if "Fn::Sub" in value:
            return re.sub(r"\$\{([\w:.]+)\}", lambda m: self._sub_variable(m.group(1)), value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return self._get_att(resource, attribute)
        return {key: self.resolve(v) for key, v in value.items()}

    def table_name(self, logical_id: str) -> str:
        return self.resolve(self.resources[logical_id]["Properties"]["TableName"])

    @cached_property
    def functions(self) -> dict[str, FunctionSpec]:
        globals_ = (self.document.get("Globals") or {}).get("Function", {})
        global_env = (globals_.get("Environment") or {}).get("Variables", {})
        specs = {}
        for logical_id, resource in self.resources_of_type("AWS::Serverless::Function").items():
            props = resource["Properties"]
            env = {**global_env, **(props.get("Environment") or {}).get("Variables", {})}
            events = (props.get("Events") or {}).values()
            specs[logical_id] = FunctionSpec(
                logical_id=logical_id,
                code_dir=self.path.parent / props["CodeUri"],
                handler=props.get("Handler", globals_.get("Handler")),
                environment={name: str(self.resolve(v)) for name, v in env.items()},
                http_routes=tuple(
                    HttpRoute(e["Properties"]["Method"].upper(), e["Properties"]["Path"])
                    for e in events
                    if e["Type"] == "HttpApi"
                ),
                stream_events=tuple(self.resolve(e["Properties"]) for e in events if e["Type"] == "DynamoDB"),
                timeout_seconds=float(self.resolve(props.get("Timeout", globals_.get("Timeout", 3)))),
                memory_mb=int(self.resolve(props.get("MemorySize", globals_.get("MemorySize", 128)))),
                architecture=_architecture(self.resolve(props.get("Architectures", globals_.get("Architectures")))),
            )
        return specs

    def _ref(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": LOCAL_ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if self.resources[name]["Type"] == "AWS::DynamoDB::Table":
            return self.table_name(name)
        return name

    def _sub_variable(self, name: str) -> str:
        if "." in name:
            resource, attribute = name.split(".", 1)
            return self._get_att(resource, attribute)
        return self._ref(name)

    def _get_att(self, resource: str, attribute: str) -> str:
        if self.resources[resource]["Type"] == "AWS::DynamoDB::Table":
            table_arn = f"arn:aws:dynamodb:{self.region}:{LOCAL_ACCOUNT}:table/{self.table_name(resource)}"
            # The local stream ARN is looked up from the server; the template only says which table.
            return {"Arn": table_arn, "StreamArn": f"{table_arn}/stream/*"}.get(attribute, table_arn)
        return f"arn:aws:local:{self.region}:{LOCAL_ACCOUNT}:{resource}"
