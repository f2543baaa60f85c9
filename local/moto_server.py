"""moto in server mode, with the faults that make a long-running local stack grow without bound fixed.

moto rolls a cancelled ``TransactWriteItems`` back by putting a deep copy of the whole table (items and stream
records), taken before the transaction, in the table's place. Three things then keep the abandoned copies:

- every model object moto ever creates (each table, item and stream record, deep copies included) is appended
  to a class-level list that only its web dashboard reads, and is never released: megabytes per cancelled
  transaction, growing with the table, and every replaced item of an ordinary write too;
- its shard iterators hold the stream shard they were issued on, and through it that moment's table, and
  moto keeps every iterator it ever issued (one per GetShardIterator and per GetRecords call);
- an iterator issued before a rollback therefore reads the abandoned table: a phantom INSERT of the cancelled
  write, then none of the later writes.

Here models are not tracked (moto's dashboard shows no instances; nothing else reads the list for the
services we run), an iterator names its table and stream and finds the live shard when read, and iterators
expire 15 minutes after they are issued, as AWS's do.

Run as ``python -m local.moto_server -H HOST -p PORT`` (moto's own arguments).
"""

import sys
import time
from collections.abc import Iterator
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models.table import StreamShard
from moto.dynamodbstreams import models as streams

ITERATOR_LIFETIME_SECONDS = 15 * 60  # AWS: "A shard iterator expires 15 minutes after it is returned"


class ExpiredIterator(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("ExpiredIteratorException", "Iterator expired. The iterator was created over 15 minutes ago.")


class _Iterators(dict[str, Any]):
    """The backend's iterators by ARN, forgetting those older than AWS lets an iterator live."""

    def __init__(self) -> None:
        super().__init__()
        self._issued_at: dict[str, float] = {}

    def __setitem__(self, arn: str, iterator: Any) -> None:
        now = time.monotonic()
        for expired in list(self._expired(now)):
            self.pop(expired, None)
            del self._issued_at[expired]
        self._issued_at[arn] = now
        super().__setitem__(arn, iterator)

    def _expired(self, now: float) -> Iterator[str]:
        # Issue times are in insertion order, so the expired ones are a prefix.
        for arn, issued in self._issued_at.items():
            if now - issued < ITERATOR_LIFETIME_SECONDS:
                return
            yield arn

    def __missing__(self, _arn: str) -> Any:
        raise ExpiredIterator


def _live_shard(iterator: Any) -> StreamShard:
    table = iterator.streams_backend.dynamodb.get_table(iterator.table_name)
    if table.stream_shard is None or table.latest_stream_label != iterator.stream_label:
        raise JsonRESTError("ResourceNotFoundException", "The stream of this iterator no longer exists.")
    return table.stream_shard


def _remember_shard(iterator: Any, shard: StreamShard) -> None:
    iterator.table_name = shard.table.name
    iterator.stream_label = shard.table.latest_stream_label


def _with_expiring_iterators(original_init: Any) -> Any:
    def init(self: Any, region_name: str, account_id: str) -> None:
        original_init(self, region_name, account_id)
        self.shard_iterators = _Iterators()

    return init


def _untracked_instance(cls: type, *_args: Any, **_kwargs: Any) -> Any:
    return object.__new__(cls)


def install() -> None:
    """Patches moto in this process; call before the server handles a request."""
    BaseModel.__new__ = staticmethod(_untracked_instance)  # type: ignore[assignment, method-assign]
    streams.ShardIterator.stream_shard = property(_live_shard, _remember_shard)  # type: ignore[assignment]
    backend = streams.DynamoDBStreamsBackend
    backend.__init__ = _with_expiring_iterators(backend.__init__)  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    install()
    from moto.server import main as moto_main  # noqa: PLC0415 - after the patches, like any request

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
