"""Turns the stream logic into a Lambda handler for DynamoDB Streams batches, reporting failures per record.

Every record of a group whose update failed for either member is reported, so that the retry (Lambda resumes at
the first failed record) carries the whole group again: each record changes both members' items, and the member
that succeeded meets its records again as duplicates, which its update's condition detects (it recounts instead
of counting twice). Groups whose members were both updated succeed; a malformed record fails alone. Records the
event source filter should have dropped are not ours to apply and succeed.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging.core.config import settings
from messaging.core.domain import Message
from messaging.core.errors import MalformedStreamRecord
from messaging.core.observability import logger, metrics
from messaging.table.records import is_message_insert, message_of, sequence_number

# Applies messages; returns the failures: by group uuid, the members not updated and why.
type Apply = Callable[[Iterable[Message]], Mapping[str, Mapping[str, BaseException]]]
type StreamHandler = Callable[[Mapping[str, Any], LambdaContext], dict[str, Any]]


def stream_handler(apply: Apply) -> StreamHandler:
    """A handler applying a batch's messages with ``apply`` (which returns the failed groups' failed members)."""
    settings()  # at cold start: a deployment missing its configuration fails here, naming what is missing

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        records = [record for record in event.get("Records", []) if is_message_insert(record)]
        messages: dict[str, Message] = {}
        failed: list[str] = []
        for record in records:
            try:
                messages[sequence_number(record)] = message_of(record)
            except MalformedStreamRecord as error:
                logger.warning("malformed stream record", extra={"error": error.message})
                failed.append(sequence_number(record))
        failed_groups = apply(messages.values())
        failed += [number for number, message in messages.items() if message.group_uuid in failed_groups]
        metrics.add_metric(name="StreamRecordsProcessed", unit=MetricUnit.Count, value=len(records) - len(failed))
        metrics.add_metric(name="StreamRecordsFailed", unit=MetricUnit.Count, value=len(failed))
        return {"batchItemFailures": [{"itemIdentifier": number} for number in failed]}

    return handler
