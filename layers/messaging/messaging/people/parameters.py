"""SSM Parameter Store values (SecureStrings, decrypted), kept for a few minutes per warm container.

Through botocore, as every AWS call of the layer: Powertools Parameters would import boto3 on the first request
of every deployed container, which is a cold start too. A failure is botocore's, after its retries: the error
mapping answers 503 for a busy or unreachable SSM.
"""

import time

from messaging.core.aws import ssm

_MAX_AGE_SECONDS = 300.0
_cache: dict[str, tuple[float, str]] = {}


def secure_string(name: str) -> str:
    now = time.monotonic()
    hit = _cache.get(name)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = str(ssm().get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
    _cache[name] = (now + _MAX_AGE_SECONDS, value)
    return value


def clear_cache() -> None:
    _cache.clear()
