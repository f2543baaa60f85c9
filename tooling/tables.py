"""DynamoDB tables built from template.yaml, so the local stack and `bin/ddb/schema-load` match the deployment."""

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tooling.template import Template

# CloudFormation property -> CreateTable argument, for the properties CreateTable accepts as they are.
_SAME_SHAPE = (
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "ProvisionedThroughput",
)


@dataclass(frozen=True)
class TableDefinition:
    logical_id: str
    create_table: dict[str, Any]
    ttl_attribute: str | None
    point_in_time_recovery: bool

    @property
    def name(self) -> str:
        return self.create_table["TableName"]


def table_definitions(template: Template) -> list[TableDefinition]:
    definitions = []
    for logical_id, resource in template.resources_of_type("AWS::DynamoDB::Table").items():
        props = template.resolve(resource["Properties"])
        create = {key: props[key] for key in _SAME_SHAPE if key in props}
        if "StreamSpecification" in props:
            view = props["StreamSpecification"]["StreamViewType"]
            create["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
        if props.get("SSESpecification", {}).get("SSEEnabled"):
            create["SSESpecification"] = {"Enabled": True}
        ttl = props.get("TimeToLiveSpecification", {})
        pitr = props.get("PointInTimeRecoverySpecification", {})
        definitions.append(
            TableDefinition(
                logical_id=logical_id,
                create_table=create,
                ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
                point_in_time_recovery=bool(pitr.get("PointInTimeRecoveryEnabled")),
            )
        )
    return definitions


def ensure_table(client: Any, definition: TableDefinition) -> bool:
    """Creates the table unless it exists; returns whether it was created. Safe to run again."""
    try:
        client.create_table(**definition.create_table)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise
        return False
    client.get_waiter("table_exists").wait(TableName=definition.name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    if definition.ttl_attribute:
        client.update_time_to_live(
            TableName=definition.name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": definition.ttl_attribute},
        )
    if definition.point_in_time_recovery:
        client.update_continuous_backups(
            TableName=definition.name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    return True
