"""boto3 clients of a moto server (the local stack's, or one a test starts)."""

from typing import Any

import boto3

# moto ignores credentials, but botocore insists on having some.
MOTO_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


def moto_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client of the moto server at ``endpoint_url``."""
    return boto3.client(service, region_name=region, endpoint_url=endpoint_url, **MOTO_CREDENTIALS)
