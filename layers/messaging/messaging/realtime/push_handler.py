"""The push function's edge: a DynamoDB Streams batch of new, edited and deleted messages in, a partial batch
failure report out.

Its own event source mapping, so nothing here waits on pattern E or fails it. A record is reported failed only
when pushing its message met throttling or a 5xx, or the batch's time ran out before every connection had it (a
retry may succeed); a malformed record is logged and
skipped, because no retry mends it and failing it would repeat every later record's push (pattern E fails it).
"""

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging.core.aws import MANAGEMENT_CALL_SECONDS
from messaging.core.config import Need
from messaging.core.domain import Message, ReadMarker, ReadReceipt
from messaging.core.entry import Kind, LambdaHandler, lambda_entry
from messaging.core.errors import MalformedStreamRecord
from messaging.core.observability import logger, metrics
from messaging.realtime.push import Deadline, PushReport
from messaging.table.records import (
    is_message_record,
    message_of,
    read_marker_moved,
    read_receipt_of,
    sequence_number,
)

type Push = Callable[[Iterable[Message], Deadline], PushReport]
type PushReadMarkers = Callable[[Iterable[tuple[str, ReadMarker]], Deadline], PushReport]
type PushReadReceipts = Callable[[Iterable[ReadReceipt], Deadline], PushReport]

# Posts stop starting this long before the function's timeout: one post's own bound, and a margin to report.
_RESERVE_SECONDS = MANAGEMENT_CALL_SECONDS + 1.0


# Its own stream consumer: the connections it posts to, through the WebSocket API's management endpoint; the
# messages table for what a push must not cross (a block on the group items).
PUSH = Kind(correlation_id_path=None, needs=(Need.CONNECTIONS, Need.MANAGEMENT, Need.MESSAGES))


def push_handler(push: Push, push_read_markers: PushReadMarkers, push_read_receipts: PushReadReceipts) -> LambdaHandler:
    def serve(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        messages: dict[str, Message] = {}
        markers: dict[str, tuple[str, ReadMarker]] = {}
        receipts: dict[str, ReadReceipt] = {}
        for record in event.get("Records", []):
            if (moved := read_marker_moved(record)) is not None:
                markers[sequence_number(record)] = moved
                if (receipt := read_receipt_of(record)) is not None:
                    receipts[sequence_number(record)] = receipt
                continue
            if not is_message_record(record):
                continue  # the filter should have dropped it
            try:
                messages[sequence_number(record)] = message_of(record)
            except MalformedStreamRecord as error:
                logger.warning("malformed stream record not pushed", extra={"error": error.message})
        deadline = Deadline(time.monotonic() + context.get_remaining_time_in_millis() / 1000 - _RESERVE_SECONDS)
        report = push(messages.values(), deadline)
        marker_report = push_read_markers(markers.values(), deadline) if markers else PushReport()
        receipt_report = push_read_receipts(receipts.values(), deadline) if receipts else PushReport()
        failed = [number for number, message in messages.items() if message.uuid in report.retry]
        failed += [
            number
            for number, (_, marker) in markers.items()
            if marker.group_uuid in marker_report.retry | receipt_report.retry
        ]
        report.add(marker_report)
        report.add(receipt_report)
        metrics.add_metric(name="PushMessages", unit=MetricUnit.Count, value=len(messages))
        metrics.add_metric(name="PushReadMarkers", unit=MetricUnit.Count, value=len(markers))
        metrics.add_metric(name="PushReadReceipts", unit=MetricUnit.Count, value=len(receipts))
        metrics.add_metric(name="PushPosts", unit=MetricUnit.Count, value=report.posts)
        metrics.add_metric(name="PushGoneConnections", unit=MetricUnit.Count, value=report.gone)
        metrics.add_metric(name="PushRefused", unit=MetricUnit.Count, value=report.refused)
        metrics.add_metric(name="PushExpiredConnections", unit=MetricUnit.Count, value=report.expired)
        metrics.add_metric(name="PushLateConnections", unit=MetricUnit.Count, value=report.late)
        metrics.add_metric(name="PushRecordsRetried", unit=MetricUnit.Count, value=len(failed))
        logger.info(
            "batch pushed",
            extra={"messages": len(messages), "connections": report.connections, "posts": report.posts},
        )
        return {"batchItemFailures": [{"itemIdentifier": number} for number in sorted(failed, key=int)]}

    return lambda_entry(serve, PUSH)
