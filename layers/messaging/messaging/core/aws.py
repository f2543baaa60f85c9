"""AWS clients, built once per container, and what their failures mean.

botocore directly, not boto3: boto3's import pulls in s3transfer, which these functions never use (about a
quarter of a cold start). Endpoints, region and credentials still come from the standard environment
(``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_DYNAMODB``, ``AWS_REGION``), so the same code talks to moto and AWS.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from messaging.core.errors import DependencyUnavailable
from messaging.core.observability import logger

# Fail fast inside a 10 s Lambda. The standard retry mode already retries throttling and every 5xx answer
# (up to 3 retries, with backoff) before the caller sees an error.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})

# Answers that mean "busy, try again" although they come with a 4xx status.
_BUSY_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "TransactionCanceledException",
        # Also sent with a 5xx status; named for errors built without one.
        "InternalServerError",
        "ServiceUnavailable",
    }
)
_FIRST_SERVER_ERROR_STATUS = 500

# A partition key's items (with their local secondary index entries) reached 10 GB: nothing that grows the
# collection succeeds again, so it is never "busy". TransactWriteItems names it as a cancellation reason instead.
ITEM_COLLECTION_FULL = "ItemCollectionSizeLimitExceededException"
ITEM_COLLECTION_FULL_REASON = "ItemCollectionSizeLimitExceeded"


@cache
def _session() -> botocore.session.Session:
    # One session for every client: each new session loads the endpoint and partition data again.
    return botocore.session.get_session()


@cache
def dynamodb() -> Any:
    return _session().create_client("dynamodb", config=_CONFIG)


@cache
def ssm() -> Any:
    return _session().create_client("ssm", config=_CONFIG)


# One post gives up within about 3 s and is not retried by botocore: a push budgets its time by this bound (see
# realtime/push.py), and a post that failed is retried with its stream record. A pool for the push's post workers.
MANAGEMENT_CALL_SECONDS = 3.0
MANAGEMENT_POOL_SIZE = 16
_MANAGEMENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"mode": "standard", "max_attempts": 1},
    max_pool_connections=MANAGEMENT_POOL_SIZE,
)


@cache
def websocket_management(endpoint_url: str) -> Any:
    """The API Gateway Management API of one WebSocket API stage (PostToConnection, DeleteConnection)."""
    return _session().create_client("apigatewaymanagementapi", endpoint_url=endpoint_url, config=_MANAGEMENT_CONFIG)


@cache
def websocket_management_within(endpoint_url: str, seconds: float) -> Any:
    """A management API client whose every call gives up within about ``2 x seconds`` (connect, then read), never
    retried: the direct push of C and D (``realtime/direct.py``), which must not hold an answer up. Its own small
    pool: it posts to one message's connections."""
    config = Config(
        connect_timeout=seconds,
        read_timeout=seconds,
        retries={"mode": "standard", "max_attempts": 1},
        max_pool_connections=MANAGEMENT_POOL_SIZE,
    )
    return _session().create_client("apigatewaymanagementapi", endpoint_url=endpoint_url, config=config)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_transient(error: BaseException) -> bool:
    """Whether an AWS call failed on the service's side (busy, 5xx, unreachable), so a later retry may succeed.

    Any 5xx counts, whatever its error code: an emulator's HTML 500 page reaches us as the code "500".
    """
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return status >= _FIRST_SERVER_ERROR_STATUS or error.response.get("Error", {}).get("Code") in _BUSY_CODES
    return isinstance(error, BotoCoreError)  # connection and timeout errors


class StoreRefused(Exception):
    """DynamoDB refused a call (a misconfiguration or a bug: retrying gets the same). Not a ``MessagingError``:
    where it reaches an answer it is a 500, as any bug is."""


def store_error(store: str, error: ClientError | BotoCoreError, refused: type[Exception] = StoreRefused) -> Exception:
    """What a botocore failure means to a store's callers: ``DependencyUnavailable`` when busy or unreachable
    (throttling, a 5xx, a timeout: what is left after botocore's own retries; a 503 with Retry-After where it
    reaches an answer), ``refused`` otherwise. ``store`` names the store in the log line and the 503's text."""
    if is_transient(error):
        logger.warning(
            "store busy or unreachable", extra={"store": store, "error": type(error).__name__, "detail": str(error)}
        )
        return DependencyUnavailable(f"The {store} is busy; retry shortly.")
    return refused(f"{type(error).__name__}: {error}")


@contextmanager
def store_call(store: str, refused: type[Exception] = StoreRefused) -> Iterator[None]:
    """botocore's failures of the calls inside, as what they mean to the store's callers (``store_error``): no
    botocore type leaves. A call that expects a refusal (a failed condition) catches it inside."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise store_error(store, error, refused) from error
