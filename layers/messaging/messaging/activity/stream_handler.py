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

from messaging.core.config import Need
from messaging.core.domain import Message
from messaging.core.entry import Kind, LambdaHandler, lambda_entry
from messaging.core.errors import MalformedStreamRecord
from messaging.core.observability import logger, metrics
from messaging.table.records import is_change, is_message_record, message_of, sequence_number

# Applies sent and changed messages; returns the failures: by group uuid, the members not updated and why.
type Apply = Callable[[Iterable[Message], Iterable[Message]], Mapping[str, Mapping[str, BaseException]]]


# A stream batch names no request: no correlation id. A failure outside the records' own is Lambda's to retry.
PATTERN_E = Kind(correlation_id_path=None, needs=(Need.MESSAGES,))


def stream_handler(apply: Apply) -> LambdaHandler:
    """A handler applying a batch's messages with ``apply`` (which returns the failed groups' failed members)."""

    def serve(event: Mapping[str, Any], _context: LambdaContext) -> dict[str, Any]:
        records = [record for record in event.get("Records", []) if is_message_record(record)]
        messages: dict[str, Message] = {}
        changes: set[str] = set()
        failed: list[str] = []
        for record in records:
            try:
                messages[sequence_number(record)] = message_of(record)
            except MalformedStreamRecord as error:
                logger.warning("malformed stream record", extra={"error": error.message})
                failed.append(sequence_number(record))
                continue
            if is_change(record):
                changes.add(sequence_number(record))
        failed_groups = apply(
            [message for number, message in messages.items() if number not in changes],
            [message for number, message in messages.items() if number in changes],
        )
        failed += [number for number, message in messages.items() if message.group_uuid in failed_groups]
        metrics.add_metric(name="StreamRecordsProcessed", unit=MetricUnit.Count, value=len(records) - len(failed))
        metrics.add_metric(name="StreamRecordsFailed", unit=MetricUnit.Count, value=len(failed))
        return {"batchItemFailures": [{"itemIdentifier": number} for number in failed]}

    return lambda_entry(serve, PATTERN_E)
