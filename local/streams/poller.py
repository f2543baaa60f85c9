"""Reads the table's stream and feeds its consumers, as Lambda's event source mappings would: one poller per
mapping of the template (pattern E, push), each with its own position, retries and dead-letter queue.

Honours each mapping's FilterCriteria, BatchSize, StartingPosition and MaximumRetryAttempts, and
``batchItemFailures``: a batch is retried from its first failed record; a record that keeps failing goes to the
on-failure destination (the template's SQS dead-letter queue, with the metadata Lambda sends) and the records after
it still flow. Each poll asks for a fresh AFTER_SEQUENCE_NUMBER iterator, because moto's iterators go stale after a
cancelled transaction.
"""

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from local.runtime.lambdas import LocalFunctions
from local.streams.filters import compile_filters, passes
from local.streams.records import stream_batch

logger = logging.getLogger(__name__)

# Lambda reads each shard about four times a second; a batching window makes it wait up to that long for more.
LAMBDA_POLL_INTERVAL_SECONDS = 0.25
# A poller that finds nothing waits twice as long each time, up to this: an idle stack's polls (four moto requests
# each) cost a core little. A function returning wakes it (``StreamPollers.wake``), so writes made through the
# stack's gateways are read at once; only a write from outside (a script, a test's own client) may wait this long.
IDLE_POLL_INTERVAL_SECONDS = 2.0


@dataclass
class _ShardPosition:
    shard_id: str
    checkpoint: str | None = None  # sequence number of the last record done with
    failed_attempts: dict[str, int] = field(default_factory=dict)


class StreamPoller:
    """One event source mapping: a function, one of its DynamoDB events, and its own place in the stream.

    Safe to drive from several threads (a poll thread and a snapshot's drain): one poll runs at a time.
    """

    def __init__(
        self,
        functions: LocalFunctions,
        dynamodb: Any,
        streams: Any,
        function_id: str,
        event: Mapping[str, Any],
        *,
        table: str,
        on_failure: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.functions, self.streams, self.function_id = functions, streams, function_id
        self.batch_size = int(event.get("BatchSize", 100))
        self.max_retries = int(event.get("MaximumRetryAttempts", -1))
        self.starting_position = str(event.get("StartingPosition", "TRIM_HORIZON"))
        window = float(event.get("MaximumBatchingWindowInSeconds", 0))
        # Half the batching window: a batch waits about as long as Lambda would make it wait, on average.
        self.poll_interval = max(LAMBDA_POLL_INTERVAL_SECONDS, window / 2)
        self.patterns = compile_filters(event)
        self.dynamodb, self.table = dynamodb, table
        self.stream_arn: str | None = None
        self.positions: dict[str, _ShardPosition] = {}
        self.dead_letters: list[dict[str, Any]] = []
        self.on_failure = on_failure
        self.progress = 0  # polls that moved or retried: a watcher can tell whether anything happened
        self.lock = threading.RLock()
        self.woken = threading.Event()  # set when something may have written: the poll thread reads at once

    def start(self) -> "StreamPoller":
        """Takes the mapping's starting position: LATEST skips what the stream holds already."""
        if self.starting_position == "LATEST":
            self.skip_to_end()
        return self

    def drain(self, max_polls: int = 1000) -> int:
        """Polls until the stream has nothing new; returns the number of records delivered to the function."""
        delivered = 0
        with self.lock:
            for _ in range(max_polls):
                count, progressed = self.poll_once()
                delivered += count
                if not progressed:
                    return delivered
        raise RuntimeError(f"the stream did not drain for {self.function_id}")

    def skip_to_end(self) -> int:
        """Marks every record now in the stream done without delivering it; returns how many were skipped.

        For records whose effects are already in the table, such as a restored snapshot's puts.
        """
        skipped = 0
        with self.lock:
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
        with self.lock:
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
            if progressed:
                self.progress += 1
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


class StreamPollers:
    """Every event source mapping on the table's stream, in template order; what ``EmulatedStack.stream`` is.

    ``drain`` and ``skip_to_end`` act on all of them, so a snapshot or a restore leaves every consumer caught up.
    """

    def __init__(self, pollers: list[StreamPoller]) -> None:
        self.pollers = pollers

    def poller(self, function_id: str) -> StreamPoller:
        (found,) = [poller for poller in self.pollers if poller.function_id == function_id]
        return found

    def drain(self, max_rounds: int = 1000) -> int:
        """Polls every consumer until none has anything new; returns the records delivered, all consumers."""
        delivered = 0
        with self.exclusive():
            for _ in range(max_rounds):
                results = [poller.poll_once() for poller in self.pollers]
                delivered += sum(count for count, _ in results)
                if not any(progressed for _, progressed in results):
                    return delivered
        raise RuntimeError("the stream did not drain")

    def skip_to_end(self) -> int:
        return sum(poller.skip_to_end() for poller in self.pollers)

    def wake(self) -> None:
        """Something may have written to the table: every poll thread waiting out an idle interval polls now."""
        for poller in self.pollers:
            poller.woken.set()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """No consumer polls meanwhile. Take it before the functions' invocation lock, as the poll threads do."""
        with contextlib.ExitStack() as locks:
            for poller in self.pollers:
                locks.enter_context(poller.lock)
            yield

    @property
    def progress(self) -> int:
        return sum(poller.progress for poller in self.pollers)
