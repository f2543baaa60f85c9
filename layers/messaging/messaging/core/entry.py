"""The one wrapper that turns the layer's code into a Lambda handler, for every kind of function.

What differs between an HTTP route, a WebSocket route, the WebSocket authorizer and a stream consumer is a
``Kind``: where its event keeps the correlation id, what its environment must hold, what an error becomes, and
the line it logs per invocation. What does not differ is here, once: the function's needs are required at cold
start (``core/config.py``: a deployment missing a variable fails there, naming it), every invocation's log lines
carry its request and correlation ids (Powertools' context, cleared between invocations), and its metrics are
flushed when it returns or fails.
"""

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging.core.config import Need, settings
from messaging.core.observability import logger, metrics

type LambdaHandler = Callable[[Mapping[str, Any], LambdaContext], dict[str, Any]]
type ErrorAnswer = Callable[[Exception], dict[str, Any]]
type Served = Callable[[Mapping[str, Any], dict[str, Any]], None]


@dataclass(frozen=True)
class Kind:
    # A path into the event (Powertools' correlation_paths); None where the event has no request id (streams).
    correlation_id_path: str | None
    needs: tuple[Need, ...] = ()  # what every function of the kind needs; each function may add its own
    # What an error the function did not answer itself becomes. None: it is Lambda's, which retries a stream
    # batch from its first record, and makes API Gateway refuse an authorizer's connection.
    answer_error: ErrorAnswer | None = None
    served: Served | None = None  # the invocation's one log line, given the event and the answer


def lambda_entry(serve: LambdaHandler, kind: Kind, needs: Iterable[Need] = ()) -> LambdaHandler:
    """``serve`` as a Lambda handler of ``kind``; the environment is checked now, at cold start."""
    settings().require((*kind.needs, *needs))

    # Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: events carry message texts (a deleted message's
    # among them, in its stream record's old image), and logs must keep no copy of a text.
    @logger.inject_lambda_context(correlation_id_path=kind.correlation_id_path, clear_state=True, log_event=False)
    @metrics.log_metrics
    @functools.wraps(serve)
    def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            answer = serve(event, context)
        except Exception as error:
            if kind.answer_error is None:
                raise
            answer = kind.answer_error(error)
        if kind.served is not None:
            kind.served(event, answer)
        return answer

    return handler
