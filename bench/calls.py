"""Counts what one request costs: DynamoDB calls by operation and their consumed capacity (botocore event hooks,
``ReturnConsumedCapacity=TOTAL`` added to every call), and PostgreSQL queries that reach the server."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from messaging.dal import postgres
from messaging.dal.aws import dynamodb

_CAPACITY_OPERATIONS = {
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "TransactWriteItems",
    "TransactGetItems",
    "BatchGetItem",
    "BatchWriteItem",
}


@dataclass
class CallCounter:
    dynamodb: Counter = field(default_factory=Counter)
    capacity_units: float = 0.0
    postgres: int = 0

    def reset(self) -> None:
        self.dynamodb.clear()
        self.capacity_units = 0.0
        self.postgres = 0


@contextmanager
def counting_calls() -> Iterator[CallCounter]:
    counter = CallCounter()
    events = dynamodb().meta.events

    def ask_for_capacity(params: dict[str, Any], model: Any, **_kwargs: Any) -> None:
        if model.name in _CAPACITY_OPERATIONS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def count_call(model: Any, **_kwargs: Any) -> None:
        counter.dynamodb[model.name] += 1

    def add_capacity(parsed: dict[str, Any], **_kwargs: Any) -> None:
        consumed = parsed.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            counter.capacity_units += float(entry.get("CapacityUnits", 0))

    real_fetch_one = postgres.fetch_one

    def counted_fetch_one(query_name: str, params: dict[str, Any]) -> Any:
        counter.postgres += 1
        return real_fetch_one(query_name, params)

    handlers = [
        ("provide-client-params.dynamodb.*", ask_for_capacity),
        ("before-call.dynamodb.*", count_call),
        ("after-call.dynamodb.*", add_capacity),
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
