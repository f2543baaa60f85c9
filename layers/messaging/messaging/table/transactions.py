"""TransactWriteItems with the retry DynamoDB asks for: a transaction cancelled only because another one held
an item is run again; one cancelled for its own conditions answers why.

botocore retries throttling and 5xx, not a cancellation: a conflict is an answer to it, not an error. Each
attempt has its own ClientRequestToken, so botocore's own retry of an attempt that committed answers success
instead of failing the attempt's conditions against its own writes.
"""

from typing import Any
from uuid import uuid4

from botocore.exceptions import ClientError

from messaging.core.aws import dynamodb, error_code, store_error
from messaging.core.errors import DependencyUnavailable
from messaging.core.observability import logger

type Reason = dict[str, Any]

_ATTEMPTS = 3
_NOT_A_REFUSAL = frozenset({"None", "TransactionConflict"})


def transact(items: list[dict[str, Any]], *, store: str = "message store") -> list[Reason] | None:
    """Runs the transaction; None when it committed, else the cancellation reasons (one per item, in order) of
    the attempt whose own conditions (or a full item collection) refused it."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            dynamodb().transact_write_items(TransactItems=items, ClientRequestToken=str(uuid4()))
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise store_error(store, error) from error
            reasons: list[Reason] = [dict(reason) for reason in error.response.get("CancellationReasons", [])]
            if any(reason.get("Code") not in _NOT_A_REFUSAL for reason in reasons):
                return reasons
            logger.info("transaction conflicted, retrying", extra={"attempt": attempt})
        else:
            return None
    raise DependencyUnavailable("The conversation kept changing; retry shortly.")


def refused(reason: Reason) -> bool:
    """Whether this item's own condition refused the transaction."""
    return reason.get("Code") == "ConditionalCheckFailed"
