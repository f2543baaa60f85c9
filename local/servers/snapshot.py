"""DynamoDB state of the local stack kept across restarts: moto holds everything in memory, so ``make dev``
writes the tables to a file under ``.local/`` and loads them back on the next start.

A snapshot is taken only when the stream function has applied every record (see ``local/dev.py``), so loading it
needs no replay: the restored items' own stream records are skipped, and the poller carries on from there.
"""

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

logger = logging.getLogger(__name__)

# 2: messages keyed by their UUIDv7 (CHANGELOG.md, "Edit and unsend"). A snapshot of another version is set aside
# and the stack starts clean (and seeded), rather than serving items of a data model the code no longer reads.
_FORMAT_VERSION = 2


class TableSnapshot:
    def __init__(self, path: Path, table_names: Iterable[str]) -> None:
        self.path = path
        self.table_names = list(table_names)

    def save(self, dynamodb: Any) -> int:
        """Writes every item of the tables to the file, atomically; returns the number of items."""
        tables = {name: _all_items(dynamodb, name) for name in self.table_names}
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps({"version": _FORMAT_VERSION, "tables": tables}))
        os.replace(partial, self.path)  # a crash mid-write leaves the previous snapshot whole
        return sum(map(len, tables.values()))

    def restore(self, dynamodb_resource: Any) -> int:
        """Loads the file's items into the (empty, freshly created) tables; returns the number of items."""
        if not self.path.exists():
            return 0
        try:
            snapshot = json.loads(self.path.read_text())
            if snapshot.get("version") != _FORMAT_VERSION:
                raise ValueError(f"unknown snapshot version {snapshot.get('version')!r}")
            tables: dict[str, list[dict[str, Any]]] = snapshot["tables"]
        except (ValueError, KeyError, AttributeError) as error:
            # A damaged file must not stop the stack: keep it aside for inspection, and start clean.
            aside = self.path.with_suffix(".unreadable")
            os.replace(self.path, aside)
            logger.warning("DynamoDB snapshot unreadable (%s); moved to %s, starting clean", error, aside.name)
            return 0
        deserialize = TypeDeserializer().deserialize
        restored = 0
        for name in self.table_names:
            # boto3's batch writer groups the puts and resends what DynamoDB leaves unprocessed.
            with dynamodb_resource.Table(name).batch_writer() as batch:
                for item in tables.get(name, []):
                    batch.put_item(Item={key: deserialize(value) for key, value in item.items()})
                    restored += 1
        return restored

    def discard(self) -> bool:
        existed = self.path.exists()
        self.path.unlink(missing_ok=True)
        return existed


def _all_items(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    pages = dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]
