"""boto3 clients, built once per container.

Endpoints come from boto3's own environment variables (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_DYNAMODB``),
so the same code talks to the local moto server and to AWS.
"""

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Fail fast inside a 10 s Lambda; the standard retry mode already backs off on throttling.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


@cache
def dynamodb() -> Any:
    return boto3.client("dynamodb", config=_CONFIG)
