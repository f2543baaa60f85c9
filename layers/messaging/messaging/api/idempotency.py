"""``Idempotency-Key`` for the creating routes (C and D): the operation runs once per key, on Powertools
Idempotency (``idempotent_function`` wraps the operation itself).

The key is scoped by route and caller, so two users (or two routes) can never collide on a key; the validated body
is the payload that must match on a retry. The first call returns the operation's own answer; only a retry gets
the stored copy back.
"""

from collections.abc import Callable
from functools import cache

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
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from messaging.config import settings
from messaging.dal.aws import dynamodb
from messaging.errors import DependencyUnavailable, IdempotencyKeyReused, RequestInProgress

_KEY_LIFETIME_SECONDS = 24 * 60 * 60


class Call[Body: BaseModel](BaseModel):
    """One request to a creating route: who asked, on which route, with which key, for what."""

    model_config = ConfigDict(frozen=True)

    route: str
    caller: str
    key: str | None
    body: Body


type Operation[Body: BaseModel, Answer: BaseModel] = Callable[[Call[Body]], Answer]
type Runner[Body: BaseModel, Answer: BaseModel] = Callable[[Call[Body], LambdaContext], Answer]


@cache
def _config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath="[route, caller, key]",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=_KEY_LIFETIME_SECONDS,
    )


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table, boto3_client=dynamodb())


def once_per_key[Body: BaseModel, Answer: BaseModel](
    answer: type[Answer],
) -> Callable[[Operation[Body, Answer]], Runner[Body, Answer]]:
    """Decorates an operation so that a call with a key runs it once per key; a call without one just runs it.

    The operation takes one argument named ``call`` (Powertools passes the data by that keyword).
    """

    def decorate(operation: Operation[Body, Answer]) -> Runner[Body, Answer]:
        # Built on first use, not at import: the persistence layer needs the table's name and a client.
        @cache
        def idempotent() -> Callable[..., Answer]:
            once: Callable[..., Answer] = idempotent_function(
                operation,
                data_keyword_argument="call",
                persistence_store=_persistence(),
                config=_config(),
                output_serializer=PydanticSerializer(answer),
                key_prefix="http",
            )
            return once

        def run(call: Call[Body], context: LambdaContext) -> Answer:
            if call.key is None:
                return operation(call)
            _config().register_lambda_context(context)  # in-progress records expire with the invocation
            try:
                return idempotent()(call=call)
            except IdempotencyValidationError:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was already used with a different request body."
                ) from None
            except IdempotencyAlreadyInProgressError:
                raise RequestInProgress(
                    "A request with this Idempotency-Key is still in progress; retry shortly."
                ) from None
            # Inconsistent state: the key's record changed under us (it expired, or was deleted by a failing first
            # attempt) more often than Powertools retries; a later retry sees it settled.
            except (IdempotencyPersistenceLayerError, IdempotencyInconsistentStateError) as error:
                raise DependencyUnavailable("The idempotency store is unavailable; retry shortly.") from error

        return run

    return decorate
