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

And moto's server handles requests on many threads, but its DynamoDB checks a write's condition and applies the
write as two steps with nothing between them held: two conditional writes racing on one item could both pass,
where DynamoDB lets exactly one win (the idempotency claims, the pair's transaction and the rate limits count on
it). Here every write is atomic with its condition: one lock around each.

And every Query, of the table or of a local secondary index, sorts every item of the table to pick out one
partition's: time in proportion to the whole table on every read, so a local stack (or a test session) grows
slower with every message it keeps. Here a Query whose key names a partition looks at that partition alone; the
items it finds, and their order, are the same. A global secondary index's Query still reads them all.

And moto's server finds which service a request is for by listing its own package directory (some two hundred
`isdir` calls), on every request, under a lock all requests share. The list does not change while it runs: here
it is read once.

Here models are not tracked (moto's dashboard shows no instances; nothing else reads the list for the
services we run), an iterator names its table and stream and finds the live shard when read, and iterators
expire 15 minutes after they are issued, as AWS's do.

Run as ``python -m local.servers.moto_server -H HOST -p PORT`` (moto's own arguments).
"""

import copy
import functools
import inspect
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from moto import backends as moto_backends
from moto.core.common_models import BaseModel
from moto.core.exceptions import JsonRESTError
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Item, StreamShard, Table
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


_TRANSACTION_KEYS: ContextVar[dict[str, list[dict[str, Any]]] | None] = ContextVar("transaction_keys", default=None)


class _CheckpointingCopy:
    """Stands in for the ``copy`` module inside moto's DynamoDB models.

    moto takes a deep copy of every table a transaction touches, to put back if it is cancelled: time and memory
    in proportion to the whole table and its stream, on every transaction. A checkpoint does the same job in
    proportion to what can change: fresh containers for the items and stream records (cheap references), and
    deep copies only of the items the transaction names (an update changes its item in place).
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, Table):
            return _checkpoint(value, (_TRANSACTION_KEYS.get() or {}).get(value.name, []))
        return copy.deepcopy(value, memo)


def _checkpoint(table: Table, keys: list[dict[str, Any]]) -> Table:
    clone = copy.copy(table)
    clone.items = defaultdict(dict)
    for hash_key, entry in table.items.items():
        clone.items[hash_key] = dict(entry) if isinstance(entry, dict) else entry
    for key in keys:
        hash_key = DynamoType(key[table.hash_key_attr])
        if table.range_key_attr is None:
            if hash_key in table.items:
                clone.items[hash_key] = copy.deepcopy(table.items[hash_key])
            continue
        range_key = DynamoType(key[table.range_key_attr])
        if range_key in table.items.get(hash_key, {}):
            clone.items[hash_key][range_key] = copy.deepcopy(table.items[hash_key][range_key])
    if table.stream_shard is not None:
        clone.stream_shard = copy.copy(table.stream_shard)
        clone.stream_shard.items = list(table.stream_shard.items)
        clone.stream_shard.table = clone
    return clone


def _with_named_keys(original: Any) -> Any:
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        keys: dict[str, list[dict[str, Any]]] = {}
        for item in transact_items:
            _, operation = next(iter(item.items()))
            table = self.tables.get(operation.get("TableName"))
            if table is None:
                continue
            key = operation.get("Key") or {
                name: value
                for name, value in operation.get("Item", {}).items()
                if name in (table.hash_key_attr, table.range_key_attr)
            }
            keys.setdefault(table.name, []).append(key)
        token = _TRANSACTION_KEYS.set(keys)
        try:
            original(self, transact_items)
        finally:
            _TRANSACTION_KEYS.reset(token)

    return transact_write_items


# The partition a Query on this thread reads, while moto's query runs: (table, hash key value).
_QUERIED_PARTITION: ContextVar[tuple[Table, DynamoType] | None] = ContextVar("queried_partition", default=None)


def _partition_of(table: Table, arguments: dict[str, Any]) -> DynamoType | None:
    """The hash key value a Query of the table or of one of its local indexes (same partition key) names."""
    index_name = arguments.get("index_name")
    if index_name is not None and index_name not in {index.name for index in table.indexes}:
        return None  # a global secondary index: its partitions are not the table's
    for name, value in arguments.get("hash_key_conditions") or []:
        if name == table.hash_key_attr:
            return value
    hash_key: DynamoType | None = arguments.get("hash_key")
    return hash_key if index_name is None else None


def _partition_query(original: Any) -> Any:
    signature = inspect.signature(original)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        partition = _partition_of(self, signature.bind(self, *args, **kwargs).arguments)
        token = _QUERIED_PARTITION.set(None if partition is None else (self, partition))
        try:
            return original(self, *args, **kwargs)
        finally:
            _QUERIED_PARTITION.reset(token)

    return query


def _partition_items(original: Any) -> Any:
    def all_items(self: Table) -> list[Item]:
        queried = _QUERIED_PARTITION.get()
        if queried is None or queried[0] is not self:
            return original(self)  # type: ignore[no-any-return]
        entry = self.items.get(queried[1])
        if entry is None:
            return []
        if not self.range_key_attr:
            return [entry]  # type: ignore[list-item]
        return sorted(entry.values(), key=lambda item: item.range_key)

    return all_items


_WRITES = threading.RLock()
_WRITE_OPERATIONS = ("put_item", "update_item", "delete_item", "transact_write_items")


def _atomic(original: Any) -> Any:
    def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _WRITES:
            return original(self, *args, **kwargs)

    return write


def _untracked_instance(cls: type, *_args: Any, **_kwargs: Any) -> Any:
    return object.__new__(cls)


_LIST_OF_MOTO_MODULES = moto_backends.list_of_moto_modules


def install() -> None:
    """Patches moto in this process; call before the server handles a request."""
    listed = functools.cache(lambda: tuple(_LIST_OF_MOTO_MODULES()))
    moto_backends.list_of_moto_modules = listed  # type: ignore[assignment]
    BaseModel.__new__ = staticmethod(_untracked_instance)  # type: ignore[assignment, method-assign]
    dynamodb_models.copy = _CheckpointingCopy()  # type: ignore[assignment]
    dynamodb_models.DynamoDBBackend.transact_write_items = _with_named_keys(  # type: ignore[method-assign]
        dynamodb_models.DynamoDBBackend.transact_write_items
    )
    Table.query = _partition_query(Table.query)  # type: ignore[method-assign]
    Table.all_items = _partition_items(Table.all_items)  # type: ignore[method-assign]
    for name in _WRITE_OPERATIONS:
        setattr(dynamodb_models.DynamoDBBackend, name, _atomic(getattr(dynamodb_models.DynamoDBBackend, name)))
    streams.ShardIterator.stream_shard = property(_live_shard, _remember_shard)  # type: ignore[assignment]
    backend = streams.DynamoDBStreamsBackend
    backend.__init__ = _with_expiring_iterators(backend.__init__)  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    install()
    from moto.server import main as moto_main  # noqa: PLC0415 - after the patches, like any request

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
