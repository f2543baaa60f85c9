"""Whole-table invariants of the single-table design, checked from a full scan.

After pattern E has drained: every group item points at a group with messages and shows its newest message;
every group has exactly two member items and one pair item naming it; no pair of users has two groups; a message
request is marked on all three items or on none (the pair names its starter, whose item counts what they sent, and
the other member's item is the pending request).
"""

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from messaging.table import keys

_MEMBERS = 2


@dataclass
class _Snapshot:
    newest_message: dict[str, str] = field(default_factory=dict)  # group -> newest message sort key
    members: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    pairs: dict[str, str] = field(default_factory=dict)  # pair pk -> group
    requests_from: dict[str, str] = field(default_factory=dict)  # pair pk -> the starter of its pending request

    def add(self, item: dict[str, Any]) -> None:
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        if pk.startswith(keys.MESSAGE_PREFIX):
            group = keys.group_uuid_of_messages_pk(pk)
            self.newest_message[group] = max(self.newest_message.get(group, ""), sk)
        elif pk.startswith(keys.GROUP_PREFIX):
            self.members[item["message_group_uuid"]["S"]].append(item)
        elif pk.startswith(keys.PAIR_PREFIX) and "pair_group_uuid" in item:  # not a stub holding only a block
            self.pairs[pk] = item["pair_group_uuid"]["S"]
            if "request_from" in item:
                self.requests_from[pk] = item["request_from"]["S"]


def table_problems(dynamodb: Any, table: str) -> list[str]:
    """Every broken invariant, one line each; an empty list means consistent."""
    snapshot = _Snapshot()
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            snapshot.add(item)
    problems = [problem for group in snapshot.members for problem in _group_problems(snapshot, group)]
    problems += [
        f"{pair} names group {group}, which has no member items"
        for pair, group in snapshot.pairs.items()
        if group not in snapshot.members
    ]
    problems += [
        f"messages in group {group}, which has no member items"
        for group in snapshot.newest_message.keys() - snapshot.members.keys()
    ]
    return problems


def _group_problems(snapshot: _Snapshot, group: str) -> list[str]:
    items = snapshot.members[group]
    newest = snapshot.newest_message.get(group)
    if newest is None:
        return [f"group {group} has member items but no messages"]
    problems = [] if len(items) == _MEMBERS else [f"group {group} has {len(items)} member items"]
    problems += [
        f"{item['pk']['S']} shows {item.get('last_message_sk', {}).get('S')} for group {group}, newest is {newest}"
        for item in items
        if item.get("last_message_sk", {}).get("S") != newest
    ]
    if len(items) == _MEMBERS:
        owner, other = (item["pk"]["S"].removeprefix(keys.GROUP_PREFIX) for item in items)
        pair = keys.pair_key(owner, other)["pk"]["S"]
        if snapshot.pairs.get(pair) != group:
            problems.append(f"group {group}: pair item {pair} names {snapshot.pairs.get(pair)}")
        problems += _request_problems(group, items, snapshot.requests_from.get(pair))
    return problems


def _request_problems(group: str, items: list[dict[str, Any]], starter: str | None) -> list[str]:
    """A pending request: the pair names its starter, the starter's item alone counts, the other's alone is marked."""
    owners = {item["pk"]["S"].removeprefix(keys.GROUP_PREFIX): item for item in items}
    awaiting = sorted(owner for owner, item in owners.items() if "awaiting_sent" in item)
    pending = sorted(owner for owner, item in owners.items() if item.get("pending_request", {}).get("BOOL"))
    expected = ([], []) if starter is None else ([starter], sorted(owners.keys() - {starter}))
    if (awaiting, pending) == expected:
        return []
    return [f"group {group}: request from {starter}, awaiting on {awaiting}, pending on {pending}"]


def problems_once_drained(dynamodb: Any, table: str, timeout: float) -> list[str]:
    """``table_problems`` once the stream has caught up: polls until consistent or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while (problems := table_problems(dynamodb, table)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return problems
