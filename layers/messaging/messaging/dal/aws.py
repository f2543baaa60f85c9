"""AWS clients, built once per container.

botocore directly, not boto3: boto3's import pulls in s3transfer, which these functions never use (about a
quarter of a cold start). Endpoints, region and credentials still come from the standard environment
(``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_DYNAMODB``, ``AWS_REGION``), so the same code talks to moto and AWS.
"""

from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config

# Fail fast inside a 10 s Lambda; the standard retry mode already backs off on throttling.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


@cache
def dynamodb() -> Any:
    return botocore.session.get_session().create_client("dynamodb", config=_CONFIG)
