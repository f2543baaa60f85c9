"""Counts what a request costs: DynamoDB calls by operation, the capacity units AWS would bill for them, and
PostgreSQL queries that reach the server.

Calls are counted with botocore event hooks on the layer's client. Capacity is computed by ``bench.capacity``
from the items themselves (moto's ConsumedCapacity is a fixed figure): while metering, each write's item is read
before and after it, and each read's items are read whole, through a separate client that nothing counts. Those
extra reads cost time, so timings are taken with metering off.
"""

import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.capacity import (
    Index,
    Item,
    failed_write_units,
    indexes_of,
    item_size,
    key_attributes,
    read_units,
    write_units,
)
from messaging.core.aws import dynamodb
from messaging.people import postgres
from tooling.tables import TableDefinition

_PENDING = "bench.capacity"  # where a call's captured items wait in botocore's request context
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"})
_READS = frozenset({"GetItem", "Query"})
_REFUSALS = frozenset({"ConditionalCheckFailedException", "TransactionCanceledException"})
# What a Query may use to return less than it reads (capacity is billed on what it reads).
_NARROWING = frozenset({"FilterExpression", "ProjectionExpression", "Select"})
# Data operations the meter has no rules for: metering one fails loudly rather than billing it as free.
_UNMODELLED = frozenset({"BatchWriteItem", "TransactGetItems", "Scan", "ExecuteStatement", "ExecuteTransaction"})


@dataclass
class Capacity:
    write_units: float = 0.0
    read_units: float = 0.0


@dataclass
class CallCounter:
    dynamodb: Counter = field(default_factory=Counter)
    # Of those, the conditional writes DynamoDB refused: a refused write is billed too, so it is a call that counts.
    refused: Counter = field(default_factory=Counter)
    postgres: int = 0
    capacity: Capacity = field(default_factory=Capacity)
    metering: bool = False
    # Reads by what they read: "GetItem Messages PAIR#" (the table, and the key's prefix where it has one).
    reads: Counter = field(default_factory=Counter)

    def reset(self) -> None:
        self.dynamodb.clear()
        self.refused.clear()
        self.reads.clear()
        self.postgres = 0
        self.capacity = Capacity()

    @contextmanager
    def metered(self) -> Iterator["CallCounter"]:
        self.metering = True
        try:
            yield self
        finally:
            self.metering = False


@dataclass(frozen=True)
class _Table:
    key: tuple[str, ...]
    indexes: tuple[Index, ...]


@dataclass
class _Pending:
    operation: str
    params: Mapping[str, Any]
    writes: list[tuple[str, dict[str, Any], Item | None, Item | None]]  # table, key, old item, attempted item


class _Meter:
    """Captures each metered call's items and adds its units to the counter."""

    def __init__(self, counter: CallCounter, tables: Iterable[TableDefinition], reader: Any) -> None:
        self.counter = counter
        self.reader = reader
        self.lock = threading.Lock()  # pattern E writes from several threads
        self.tables = {
            t.name: _Table(key=key_attributes(t.create_table["KeySchema"]), indexes=indexes_of(t.create_table))
            for t in tables
        }

    def prepare(self, operation: str, params: Mapping[str, Any]) -> _Pending | None:
        if operation in _UNMODELLED:
            raise NotImplementedError(f"the capacity meter has no rules for {operation}")
        if operation in _READS or operation == "BatchGetItem":
            return _Pending(operation, params, [])
        if operation not in _WRITES:
            return None
        actions = (
            [next(iter(action.items())) for action in params["TransactItems"]]
            if operation == "TransactWriteItems"
            else [(operation, params)]
        )
        writes = []
        for kind, spec in actions:
            table = spec["TableName"]
            attempted = spec.get("Item") if kind in {"Put", "PutItem"} else None
            key = self._key(table, attempted) if attempted is not None else dict(spec["Key"])
            writes.append((table, key, self._item(table, key), attempted))
        return _Pending(operation, params, writes)

    def settle(self, pending: _Pending, succeeded: bool, parsed: Mapping[str, Any]) -> None:
        if pending.operation == "BatchGetItem":
            if succeeded:
                self._add(read=self._batch_read_units(pending.params))
            return
        if pending.operation in _READS:
            if succeeded:
                self._add(read=self._read_units(pending, parsed.get("Items", [])))
            return
        transactional = pending.operation == "TransactWriteItems"
        error = parsed.get("Error", {}).get("Code")
        if not succeeded and error not in _REFUSALS:
            return  # refused before any item was touched (validation, throttling): nothing consumed
        for table, key, old, attempted in pending.writes:
            if succeeded:
                new = self._item(table, key)
                self._add(write=write_units(old, new, self.tables[table].indexes, transactional=transactional).total)
            else:
                self._add(write=failed_write_units(old, attempted, transactional=transactional))

    def _read_units(self, pending: _Pending, items: list[Item]) -> float:
        params = pending.params
        table = params["TableName"]
        consistent = bool(params.get("ConsistentRead", False))
        if pending.operation == "GetItem":
            item = self._item(table, dict(params["Key"]))  # whole, whatever the ProjectionExpression kept
            return read_units([item_size(item)] if item else [], consistent=consistent)
        if _NARROWING.intersection(params):
            # A filter, a projection or a count changes what is returned, not what is read: read it unnarrowed.
            items = self.reader.query(**_unnarrowed(params)).get("Items", [])
        return read_units([item_size(item) for item in items], consistent=consistent)

    def _batch_read_units(self, params: Mapping[str, Any]) -> float:
        """A BatchGetItem bills each item it reads as a GetItem would, rounded up item by item; a missing one is
        billed the minimum, as a GetItem's (the cautious reading). Unprocessed keys: none here, the local store
        answers them all."""
        units = 0.0
        for table, spec in params["RequestItems"].items():
            consistent = bool(spec.get("ConsistentRead", False))
            for key in spec["Keys"]:
                item = self._item(table, dict(key))
                units += read_units([item_size(item)] if item else [], consistent=consistent)
        return units

    def _key(self, table: str, item: Item) -> dict[str, Any]:
        return {name: item[name] for name in self.tables[table].key}

    def _item(self, table: str, key: Mapping[str, Any]) -> Item | None:
        return self.reader.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _add(self, read: float = 0.0, write: float = 0.0) -> None:
        with self.lock:
            capacity = self.counter.capacity
            capacity.read_units += read
            capacity.write_units += write


def _unnarrowed(query: Mapping[str, Any]) -> dict[str, Any]:
    """``query`` without what narrows its answer (same key condition, start key and Limit: the same items read),
    keeping only the expression names and values its key condition still uses."""
    kept = {k: v for k, v in query.items() if k not in _NARROWING and k != "ReturnConsumedCapacity"}
    used = set(re.findall(r"[:#]\w+", query["KeyConditionExpression"]))
    for placeholders in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        if placeholders in kept:
            kept[placeholders] = {k: v for k, v in kept[placeholders].items() if k in used}
            if not kept[placeholders]:
                del kept[placeholders]
    return kept


def read_target(operation: str, params: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """What a read reads, as a reader of the figures names it: ``GetItem Messages GRP#``, ``Query Messages GRP#
    (last-message-at-index)``, ``GetItem RateLimits``. ``labels``: table name -> its logical id, less "Table"."""
    table = labels.get(params["TableName"], params["TableName"])
    if operation in {"GetItem", "BatchGetItem"}:  # a BatchGetItem's keys are named one by one
        partition = next(iter(params["Key"].values()), {}).get("S", "")
    else:
        # The partition key's placeholder is the first value the key condition names.
        placeholder = re.search(r":\w+", params.get("KeyConditionExpression", ""))
        values = params.get("ExpressionAttributeValues", {})
        partition = values.get(placeholder.group(0), {}).get("S", "") if placeholder else ""
    prefix = partition[: partition.index("#") + 1] if "#" in partition else ""
    index = f" ({params['IndexName']})" if "IndexName" in params else ""
    return " ".join(part for part in (operation, table, prefix) if part) + index


@contextmanager
def counting_calls(tables: Iterable[TableDefinition] = (), reader: Any = None) -> Iterator[CallCounter]:
    """Counts calls of the layer's DynamoDB client and PostgreSQL queries while open.

    With ``tables`` (the template's) and ``reader`` (a client of the same endpoint, not the layer's), calls made
    inside ``counter.metered()`` also add capacity units.
    """
    counter = CallCounter()
    tables = list(tables)
    meter = _Meter(counter, tables, reader) if reader is not None else None
    labels = {t.name: t.logical_id.removesuffix("Table") for t in tables}
    events = dynamodb().meta.events

    def count_call(model: Any, **_kwargs: Any) -> None:
        counter.dynamodb[model.name] += 1

    def capture(params: dict[str, Any], model: Any, context: dict[str, Any], **_kwargs: Any) -> None:
        if model.name in _READS:
            counter.reads[read_target(model.name, params, labels)] += 1
        elif model.name == "BatchGetItem":
            for table, spec in params["RequestItems"].items():
                for key in spec["Keys"]:
                    counter.reads[read_target("BatchGetItem", {"TableName": table, "Key": key}, labels)] += 1
        if meter is not None and counter.metering:
            context[_PENDING] = meter.prepare(model.name, params)

    def settle(http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_kwargs: Any) -> None:
        if parsed.get("Error", {}).get("Code") in _REFUSALS:
            counter.refused[model.name] += 1
        pending = context.pop(_PENDING, None)
        if meter is not None and pending is not None:
            meter.settle(pending, http_response.status_code < 300, parsed)

    real_fetch_one = postgres.fetch_one

    def counted_fetch_one(query_name: str, params: dict[str, Any]) -> Any:
        counter.postgres += 1
        return real_fetch_one(query_name, params)

    handlers = [
        ("before-parameter-build.dynamodb.*", capture),
        ("before-call.dynamodb.*", count_call),
        ("after-call.dynamodb.*", settle),
    ]
    for event, handler in handlers:
        events.register(event, handler)
    postgres.fetch_one = counted_fetch_one
    try:
        yield counter
    finally:
        postgres.fetch_one = real_fetch_one
        for event, handler in handlers:
            events.unregister(event, handler)
