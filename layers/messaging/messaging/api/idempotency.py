"""``Idempotency-Key`` support for the creating routes (C and D), on the Powertools Idempotency utility.

The key is scoped by route and caller, so two users (or two routes) can never collide on a key; the validated
body is the payload that must match on a retry.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from pydantic import BaseModel

from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.config import settings
from messaging.dal.aws import dynamodb
from messaging.errors import DependencyUnavailable, IdempotencyKeyReused, RequestInProgress

_KEY_LIFETIME_SECONDS = 24 * 60 * 60


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table, boto3_client=dynamodb())


@cache
def _config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath="[route, caller, key]",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=_KEY_LIFETIME_SECONDS,
    )


def idempotently(request: HttpRequest, body: BaseModel, create: Callable[[], HttpResponse]) -> HttpResponse:
    """Runs ``create`` once per Idempotency-Key; a retry gets the first answer and writes nothing."""
    if request.idempotency_key is None:
        return create()

    def run(payload: dict[str, Any]) -> dict[str, Any]:
        return create().to_record()

    config = _config()
    config.register_lambda_context(request.context)  # in-progress records expire with the invocation
    once = idempotent_function(
        run, data_keyword_argument="payload", persistence_store=_persistence(), config=config, key_prefix="http"
    )
    payload = {
        "route": request.route_key,
        "caller": request.caller_id,
        "key": request.idempotency_key,
        "body": body.model_dump(mode="json"),
    }
    try:
        return HttpResponse.from_record(once(payload=payload))
    except IdempotencyValidationError:
        raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request body.") from None
    except IdempotencyAlreadyInProgressError:
        raise RequestInProgress("A request with this Idempotency-Key is still in progress; retry shortly.") from None
    # Inconsistent state: the key's record changed under us (it expired, or was deleted by a failing first
    # attempt) more often than Powertools retries; a later retry sees it settled.
    except (IdempotencyPersistenceLayerError, IdempotencyInconsistentStateError) as error:
        raise DependencyUnavailable("The idempotency store is unavailable; retry shortly.") from error
