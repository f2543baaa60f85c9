"""``Idempotency-Key`` for the creating routes (C and D): the operation runs once per key.

The key is scoped by route and caller, so two users (or two routes) can never collide on a key; the validated body
is the payload that must match on a retry (as a hash). The first call returns the operation's own answer; a retry
gets the answer recalled from what was stored of it (``Replay``): a reference to the message, never its text, so
that a message its sender deletes leaves no copy behind, and a retry after an edit or a deletion gets the message
as it now is. The rules are Powertools Idempotency's, on its table layout (``idempotency_records`` says why
not on its code): an attempt claims the key for as long as its invocation may run; a failed attempt
releases the key; an answer is kept for 24 hours.
"""

import hashlib
import time
import uuid
from collections.abc import Callable
from typing import NamedTuple

import msgspec
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging.conversations import idempotency_records as records
from messaging.core.errors import DependencyUnavailable, IdempotencyKeyReused, RequestInProgress
from messaging.core.observability import logger

_KEY_LIFETIME_SECONDS = 24 * 60 * 60


class Call[Body: msgspec.Struct](msgspec.Struct, frozen=True):
    """One request to a creating route: who asked, on which route, with which key, for what."""

    route: str
    caller: str
    key: str | None
    body: Body


class Replay[Answer](NamedTuple):
    """What a completed record keeps of an answer (``remember``), and how a retry gets the answer back from it."""

    remember: Callable[[Answer], str]
    recall: Callable[[str], Answer]


type Operation[Body: msgspec.Struct, Answer] = Callable[[Call[Body]], Answer]
type Runner[Body: msgspec.Struct, Answer] = Callable[[Call[Body], LambdaContext], Answer]


def once_per_key[Body: msgspec.Struct, Answer](
    replay: Replay[Answer],
) -> Callable[[Operation[Body, Answer]], Runner[Body, Answer]]:
    """Decorates an operation so that a call with a key runs it once per key; a call without one just runs it."""

    def decorate(operation: Operation[Body, Answer]) -> Runner[Body, Answer]:
        def run(call: Call[Body], context: LambdaContext) -> Answer:
            if call.key is None:
                return operation(call)
            return _once(operation, call, replay, context)

        return run

    return decorate


def _once[Body: msgspec.Struct, Answer](
    operation: Operation[Body, Answer], call: Call[Body], replay: Replay[Answer], context: LambdaContext
) -> Answer:
    key = f"{call.route}#{call.caller}#{call.key}"
    validation = hashlib.sha256(msgspec.json.encode(call.body)).hexdigest()
    now_ms = time.time_ns() // 1_000_000
    now = now_ms // 1000
    try:
        holder = records.claim(
            key,
            validation=validation,
            attempt=uuid.uuid4().hex,
            expires_at=now + _KEY_LIFETIME_SECONDS,
            # An attempt cut short with its invocation (a timeout) must not hold the key for a day.
            in_progress_until_ms=now_ms + context.get_remaining_time_in_millis(),
            now_ms=now_ms,
        )
    except records.RecordVanished:
        raise DependencyUnavailable("The idempotency store changed under the request; retry shortly.") from None
    if holder is not None:
        return _replayed(holder, validation, replay)

    try:
        result = operation(call)
    except Exception:
        _release(key)
        raise
    try:
        records.complete(key, data=replay.remember(result), expires_at=now + _KEY_LIFETIME_SECONDS)
    except Exception:
        # The operation happened: its answer stands. A retry sees the key in progress until this invocation's
        # time is up (409), then runs the operation again.
        logger.exception("idempotency record not completed", extra={"idempotency_key": key})
    return result


def _release(key: str) -> None:
    try:
        records.release(key)
    except Exception:
        # The operation's own error is the answer; the key frees itself when this invocation's time is up.
        logger.exception("idempotency record not released", extra={"idempotency_key": key})


def _replayed[Answer](holder: records.Holder, validation: str, replay: Replay[Answer]) -> Answer:
    if holder.validation != validation:
        raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request body.")
    if holder.status is records.Status.IN_PROGRESS or holder.data is None:
        raise RequestInProgress("A request with this Idempotency-Key is still in progress; retry shortly.")
    return replay.recall(holder.data)
