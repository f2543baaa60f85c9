"""Settings read from the environment, the one place that knows the variable names."""

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    messages_table: str
    idempotency_table: str
    # Local stacks and tests pass the URL itself; in AWS it lives in SSM Parameter Store (a SecureString).
    connection_url: str | None
    connection_url_parameter: str | None


@cache
def settings() -> Settings:
    return Settings(
        messages_table=os.environ.get("MESSAGES_TABLE", "cruddur-messages"),
        idempotency_table=os.environ.get("IDEMPOTENCY_TABLE", "cruddur-messages-idempotency"),
        connection_url=os.environ.get("CONNECTION_URL") or None,
        connection_url_parameter=os.environ.get("CONNECTION_URL_PARAMETER") or None,
    )


def running_under_sam_local() -> bool:
    """SAM CLI sets this in its containers; AWS never does."""
    return os.environ.get("AWS_SAM_LOCAL") == "true"
