"""Reads a DynamoDB stream (every shard) as GetRecords returns the records, each record once.

A busy table's stream holds every write since the table was made, so a caller that reads it again and again
(a test after each step) keeps a ``StreamReader``: it remembers the last sequence number it has seen per shard and
asks only for what came after it.
"""

from typing import Any

_PAGE = 1000  # GetRecords' largest page


class StreamReader:
    """The records of one stream read so far, in stream order per shard; ``read_new`` fetches only new ones."""

    def __init__(self, streams: Any, stream_arn: str) -> None:
        self.streams, self.stream_arn = streams, stream_arn
        self.records: list[dict[str, Any]] = []
        self._last_seen: dict[str, str] = {}  # shard id -> sequence number of the last record read

    def read_new(self) -> list[dict[str, Any]]:
        """The records written since the last read (the first read: from the stream's start)."""
        new: list[dict[str, Any]] = []
        for shard in self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]:
            new += self._read_shard(shard["ShardId"])
        self.records += new
        return new

    def all_records(self) -> list[dict[str, Any]]:
        """Every record in the stream, reading only those not seen before."""
        self.read_new()
        return list(self.records)

    def _read_shard(self, shard_id: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        # A fresh iterator for every page: moto's iterators go stale after a cancelled transaction.
        while page := self.streams.get_records(ShardIterator=self._iterator(shard_id), Limit=_PAGE)["Records"]:
            records += page
            self._last_seen[shard_id] = page[-1]["dynamodb"]["SequenceNumber"]
        return records

    def _iterator(self, shard_id: str) -> str:
        last = self._last_seen.get(shard_id)
        where = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
            if last
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        response = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **where)
        return str(response["ShardIterator"])


def all_stream_records(streams: Any, stream_arn: str) -> list[dict[str, Any]]:
    """Every record of the stream from its start, for a caller that reads it once."""
    return StreamReader(streams, stream_arn).all_records()
