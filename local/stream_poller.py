"""Reads the table's stream and feeds the stream function, as Lambda's event source mapping would.

Honours the template's FilterCriteria, BatchSize and MaximumRetryAttempts, and ``batchItemFailures``: a batch is
retried from its first failed record; a record that keeps failing goes to the on-failure destination (the
template's SQS dead-letter queue, with the metadata Lambda sends) and the records after it still flow. Each poll
asks for a fresh AFTER_SEQUENCE_NUMBER iterator, because moto's iterators go stale after a cancelled transaction.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from local.events import stream_batch
from local.filters import compile_filters, passes
from local.lambdas import LocalFunctions

logger = logging.getLogger(__name__)


@dataclass
class _ShardPosition:
    shard_id: str
    checkpoint: str | None = None  # sequence number of the last record done with
    failed_attempts: dict[str, int] = field(default_factory=dict)


class StreamPoller:
    def __init__(
        self,
        functions: LocalFunctions,
        dynamodb: Any,
        streams: Any,
        function_id: str,
        table: str,
        *,
        on_failure: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        spec = functions.spec(function_id)
        (event,) = spec.stream_events
        self.functions, self.streams, self.function_id = functions, streams, function_id
        self.batch_size = int(event.get("BatchSize", 100))
        self.max_retries = int(event.get("MaximumRetryAttempts", -1))
        self.patterns = compile_filters(event)
        self.dynamodb, self.table = dynamodb, table
        self.stream_arn: str | None = None
        self.positions: dict[str, _ShardPosition] = {}
        self.dead_letters: list[dict[str, Any]] = []
        self.on_failure = on_failure

    def drain(self, max_polls: int = 1000) -> int:
        """Polls until the stream has nothing new; returns the number of records delivered to the function."""
        delivered = 0
        for _ in range(max_polls):
            count, progressed = self.poll_once()
            delivered += count
            if not progressed:
                return delivered
        raise RuntimeError("the stream did not drain")

    def skip_to_end(self) -> int:
        """Marks every record now in the stream done without delivering it; returns how many were skipped.

        For records whose effects are already in the table, such as a restored snapshot's puts.
        """
        skipped = 0
        if not self._follow_table():
            return skipped
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            position = self.positions.setdefault(shard["ShardId"], _ShardPosition(shard["ShardId"]))
            while records := self._read(shard["ShardId"], position):
                position.checkpoint = records[-1]["dynamodb"]["SequenceNumber"]
                skipped += len(records)
        return skipped

    def poll_once(self) -> tuple[int, bool]:
        """One GetRecords per shard. Returns (records delivered, whether any shard moved or retried)."""
        delivered, progressed = 0, False
        if not self._follow_table():
            return delivered, progressed
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            position = self.positions.setdefault(shard["ShardId"], _ShardPosition(shard["ShardId"]))
            records = self._read(shard["ShardId"], position)
            if not records:
                continue
            progressed = True
            delivered += self._deliver(records, position)
        return delivered, progressed

    def _follow_table(self) -> bool:
        """Tracks the table's current stream: a dropped and re-created table (bin/ddb) gets a new one."""
        try:
            arn = self.dynamodb.describe_table(TableName=self.table)["Table"].get("LatestStreamArn")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return False
            raise
        if arn != self.stream_arn:
            self.stream_arn, self.positions = arn, {}
        return arn is not None

    def _read(self, shard_id: str, position: _ShardPosition) -> list[dict[str, Any]]:
        where = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position.checkpoint}
            if position.checkpoint
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **where)
        response = self.streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=self.batch_size)
        return response.get("Records", [])

    def _deliver(self, records: list[dict[str, Any]], position: _ShardPosition) -> int:
        batch = stream_batch(records, self.stream_arn)
        wanted = [record for record in batch["Records"] if passes(self.patterns, record)]
        if not wanted:
            position.checkpoint = records[-1]["dynamodb"]["SequenceNumber"]
            return 0
        failed = self._invoke({"Records": wanted})
        if not failed:
            position.checkpoint = records[-1]["dynamodb"]["SequenceNumber"]
            return len(wanted)
        first_failed = min(failed, key=int)
        attempts = position.failed_attempts.get(first_failed, 0) + 1
        position.failed_attempts[first_failed] = attempts
        sequence_numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        index = sequence_numbers.index(first_failed)
        if 0 <= self.max_retries < attempts:
            # Out of retries: park the record, as the on-failure destination would, and move past it.
            logger.warning("stream record sent to the dead-letter list", extra={"sequence": first_failed})
            parked = next(r for r in wanted if r["dynamodb"]["SequenceNumber"] == first_failed)
            self.dead_letters.append(parked)
            if self.on_failure is not None:
                self.on_failure(self._failure_notice(parked, attempts, position.shard_id))
            position.checkpoint = first_failed
        elif index > 0:
            position.checkpoint = sequence_numbers[index - 1]
        return len(wanted)

    def _failure_notice(self, record: dict[str, Any], attempts: int, shard_id: str) -> dict[str, Any]:
        """What Lambda sends to a stream's on-failure destination: where the record is, not the record."""
        sequence = record["dynamodb"]["SequenceNumber"]
        arrival = datetime.fromtimestamp(record["dynamodb"]["ApproximateCreationDateTime"], UTC).isoformat()
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_id}",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": sequence,
                "endSequenceNumber": sequence,
                "approximateArrivalOfFirstRecord": arrival,
                "approximateArrivalOfLastRecord": arrival,
                "batchSize": 1,
                "streamArn": self.stream_arn,
            },
        }

    def _invoke(self, event: dict[str, Any]) -> set[str]:
        """Sequence numbers the function reports failed; every record when it raises."""
        try:
            response = self.functions.invoke(self.function_id, event)
        except Exception:
            logger.exception("stream function raised; retrying the whole batch")
            return {record["dynamodb"]["SequenceNumber"] for record in event["Records"]}
        return {item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])}
