"""Where an operator script acts: the running local stack (default) or AWS (``prod``, the notes' convention).

prod uses boto3's usual configuration (profile, region, credentials) and these variables:
``MESSAGES_TABLE`` (default cruddur-messages), ``PROD_CONNECTION_URL`` (PostgreSQL) and
``AWS_COGNITO_USER_POOL_ID``.
"""

import os
from dataclasses import dataclass
from typing import Any

import boto3

from messaging.core.config import settings
from tooling.moto_clients import MOTO_CREDENTIALS, moto_client
from tooling.stack_state import local_stack_state
from tooling.template import Template

LOCAL, PROD = "local", "prod"


class ScriptError(Exception):
    """A failure the operator can act on, reported in one line."""


@dataclass(frozen=True)
class Target:
    name: str
    region: str
    endpoint_url: str | None
    messages_table: str
    connection_url: str | None
    user_pool_id: str | None

    def client(self, service: str) -> Any:
        if self.name == LOCAL and self.endpoint_url:
            return moto_client(service, self.endpoint_url, self.region)
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint_url)

    def require_connection_url(self) -> str:
        if not self.connection_url:
            raise ScriptError("no PostgreSQL for prod: set PROD_CONNECTION_URL")
        return self.connection_url

    def require_user_pool_id(self) -> str:
        if not self.user_pool_id:
            raise ScriptError("no Cognito user pool for prod: set AWS_COGNITO_USER_POOL_ID")
        return self.user_pool_id

    def export_for_layer(self) -> None:
        """Gives the shared layer (used by the seed) the settings a Lambda of this target would have."""
        variables = {"MESSAGES_TABLE": self.messages_table, "AWS_DEFAULT_REGION": self.region}
        variables["IDEMPOTENCY_TABLE"] = f"{self.messages_table}-idempotency"
        if self.connection_url:
            variables["CONNECTION_URL"] = self.connection_url
        if self.endpoint_url:
            variables["AWS_ENDPOINT_URL"] = variables["AWS_ENDPOINT_URL_DYNAMODB"] = self.endpoint_url
        if self.name == LOCAL:
            variables.update({name.upper(): value for name, value in MOTO_CREDENTIALS.items()})
        os.environ.update(variables)
        settings.cache_clear()  # the layer reads its settings once: read these, not any it had read before


def resolve_target(name: str) -> Target:
    if name == PROD:
        return Target(
            name=PROD,
            region=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1",
            endpoint_url=None,
            messages_table=os.environ.get("MESSAGES_TABLE") or Template().table_name("MessagesTable"),
            connection_url=os.environ.get("PROD_CONNECTION_URL"),
            user_pool_id=os.environ.get("AWS_COGNITO_USER_POOL_ID"),
        )
    state = local_stack_state()
    return Target(
        name=LOCAL,
        region=state["region"],
        endpoint_url=state["aws_endpoint_url"],
        messages_table=state["messages_table"],
        connection_url=state["connection_url"],
        user_pool_id=state["user_pool_id"],
    )
