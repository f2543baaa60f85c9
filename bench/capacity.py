"""DynamoDB capacity units as AWS bills them, computed from item sizes and the indexes a write touches.

moto's ``ConsumedCapacity`` is a fixed figure, so the benchmark computes units itself, by the rules of the
DynamoDB Developer Guide:

- item size: "Item sizes and formats" (CapacityUnitCalculations): attribute name bytes (UTF-8) + value bytes;
  strings UTF-8 bytes, numbers about 1 byte per two significant digits + 1, binary raw bytes, null and boolean 1,
  lists and maps 3 + their elements, each element 1 more; 1 KB = 1,024 bytes.
- writes: "Read/write capacity unit consumption" (read-write-operations): ceil(size / 1 KB) per item; a put that
  replaces and an update take the larger of the item before and after; a delete the deleted item. A failed
  conditional write still consumes: the existing item's size, or 1 unit when there is none.
- indexes: "Provisioned throughput considerations" of LSIs and GSIs (LSI.html#LSI.ThroughputConsiderations.Writes,
  GSI.html#GSI.ThroughputConsiderations.Writes): a write that creates an index entry costs one put, removes one a
  delete, changes the index key a delete and a put, changes only projected attributes one update; an item in the
  index neither before nor after costs nothing. Each index write is rounded up per 1 KB of the index entry.
- transactions: "Capacity management for transactions" (transaction-apis): two underlying writes of every item
  (prepare and commit), consumed even when the transaction is cancelled. Index maintenance follows the commit
  only, so it is counted once: our reading, the guide does not say.
- reads: 4 KB per unit, strongly consistent 1, eventually consistent 1/2; a Query rounds the total of the items it
  reads once; a missing item still costs the minimum; a ProjectionExpression changes nothing (the whole item is
  read). GSIs are read eventually consistently only.
"""

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
_CONTAINER_OVERHEAD = 3  # bytes of a List or Map, whatever it holds
_ELEMENT_OVERHEAD = 1  # bytes of each element of a List or Map

type AttributeValue = Mapping[str, Any]
type Item = Mapping[str, AttributeValue]


def item_size(item: Item | None) -> int:
    """Bytes of an item in DynamoDB's low-level format (``{"name": {"S": "..."}}``); 0 for no item."""
    if not item:
        return 0
    return sum(_utf8(name) + value_size(value) for name, value in item.items())


def value_size(value: AttributeValue) -> int:
    """Bytes of one attribute value, without its name."""
    ((kind, data),) = value.items()
    if kind in _SCALAR_SIZE:
        return _SCALAR_SIZE[kind](data)
    if kind in {"SS", "NS", "BS"}:  # a set is its members, each sized as its scalar type
        return sum(_SCALAR_SIZE[kind[0]](member) for member in data)
    if kind == "L":
        return _CONTAINER_OVERHEAD + sum(value_size(v) + _ELEMENT_OVERHEAD for v in data)
    if kind == "M":
        return _CONTAINER_OVERHEAD + sum(_utf8(k) + value_size(v) + _ELEMENT_OVERHEAD for k, v in data.items())
    raise ValueError(f"not a DynamoDB attribute value type: {kind}")


def number_size(text: str) -> int:
    """1 byte per two significant digits, plus 1 (leading and trailing zeros do not count)."""
    digits = Decimal(text).normalize().as_tuple().digits
    significant = len("".join(map(str, digits)).strip("0"))
    return math.ceil(significant / 2) + 1


@dataclass(frozen=True)
class Index:
    """A secondary index as the template declares it: which items it holds, and how much of each."""

    name: str
    key: tuple[str, ...]  # the index's partition (and sort) key attributes
    table_key: tuple[str, ...]  # the base table's key, projected into every index entry
    projection: str = "ALL"  # ALL, KEYS_ONLY or INCLUDE
    non_key_attributes: tuple[str, ...] = ()

    def entry(self, item: Item | None) -> Item | None:
        """The item's entry in the index; None when the item lacks an index key attribute (a sparse index)."""
        if not item or any(name not in item for name in self.key):
            return None
        if self.projection == "ALL":
            return item
        kept = {*self.key, *self.table_key, *(self.non_key_attributes if self.projection == "INCLUDE" else ())}
        return {name: value for name, value in item.items() if name in kept}

    def key_of(self, entry: Item) -> dict[str, AttributeValue]:
        return {name: entry[name] for name in self.key}


def indexes_of(create_table: Mapping[str, Any]) -> tuple[Index, ...]:
    """The secondary indexes of a ``CreateTable`` request (as tooling.tables builds it from template.yaml)."""
    table_key = key_attributes(create_table["KeySchema"])
    return tuple(
        Index(
            name=spec["IndexName"],
            key=key_attributes(spec["KeySchema"]),
            table_key=table_key,
            projection=spec["Projection"]["ProjectionType"],
            non_key_attributes=tuple(spec["Projection"].get("NonKeyAttributes", ())),
        )
        for spec in [*create_table.get("LocalSecondaryIndexes", ()), *create_table.get("GlobalSecondaryIndexes", ())]
    )


def key_attributes(key_schema: Sequence[Mapping[str, str]]) -> tuple[str, ...]:
    return tuple(element["AttributeName"] for element in sorted(key_schema, key=lambda e: e["KeyType"] != "HASH"))


@dataclass(frozen=True)
class WriteUnits:
    table: int
    indexes: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.table + sum(self.indexes.values())


def write_units(
    old: Item | None, new: Item | None, indexes: Iterable[Index] = (), *, transactional: bool = False
) -> WriteUnits:
    """Units of a write that turned ``old`` into ``new`` (None: no item): a put, an update or a delete."""
    table = _units(max(item_size(old), item_size(new)), WRITE_UNIT_BYTES)
    per_index = {index.name: index_write_units(index, old, new) for index in indexes}
    return WriteUnits(table * (2 if transactional else 1), {name: n for name, n in per_index.items() if n})


def index_write_units(index: Index, old: Item | None, new: Item | None) -> int:
    before, after = index.entry(old), index.entry(new)
    if before is None and after is None:
        return 0
    if before is None:
        return _write(after)  # a put into the index
    if after is None:
        return _write(before)  # a delete from the index
    if index.key_of(before) != index.key_of(after):
        return _write(before) + _write(after)  # the entry moves: a delete and a put
    if before != after:
        return _units(max(item_size(before), item_size(after)), WRITE_UNIT_BYTES)  # projected attributes changed
    return 0


def failed_write_units(existing: Item | None, attempted: Item | None = None, *, transactional: bool = False) -> int:
    """Units of a write that did not happen: a failed condition, or an item of a cancelled transaction.

    The guide bills the existing item (1 unit when there is none); where an older and a newer page disagree on
    whether the size is the existing or the new item's, the larger is taken. Indexes are not touched.
    """
    units = 1 if existing is None else _units(max(item_size(existing), item_size(attempted)), WRITE_UNIT_BYTES)
    return units * (2 if transactional else 1)


def read_units(sizes: Iterable[int], *, consistent: bool) -> float:
    """Units of one GetItem or Query reading items of ``sizes`` bytes (none: the minimum, as for a missing item)."""
    units = _units(sum(sizes), READ_UNIT_BYTES)
    return float(units) if consistent else units / 2


def _write(entry: Item) -> int:
    return _units(item_size(entry), WRITE_UNIT_BYTES)


def _units(size: int, unit_bytes: int) -> int:
    return max(1, math.ceil(size / unit_bytes))


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def _raw_bytes(data: bytes | str) -> bytes:
    # botocore hands binary values over decoded; a str is what a caller passed before botocore encodes it.
    return data if isinstance(data, bytes) else data.encode("utf-8")


_SCALAR_SIZE: dict[str, Callable[[Any], int]] = {
    "S": _utf8,
    "N": number_size,
    "B": lambda data: len(_raw_bytes(data)),
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
}
