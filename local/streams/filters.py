"""Lambda event-filtering patterns (the template's FilterCriteria), evaluated the way the event source mapping does.

Supports the rules our template may use: exact values, ``prefix``, ``anything-but`` and ``exists``.
"""

import json
from collections.abc import Mapping
from typing import Any

_MISSING = object()


def compile_filters(stream_event: Mapping[str, Any]) -> list[dict[str, Any]]:
    filters = (stream_event.get("FilterCriteria") or {}).get("Filters") or []
    return [json.loads(f["Pattern"]) for f in filters]


def passes(patterns: list[dict[str, Any]], record: Mapping[str, Any]) -> bool:
    """No patterns lets everything through; otherwise any one pattern must match (they are ORed)."""
    return not patterns or any(_matches(pattern, record) for pattern in patterns)


def _matches(pattern: Mapping[str, Any], value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    for key, rule in pattern.items():
        field = value.get(key, _MISSING)
        if isinstance(rule, Mapping):
            if field is _MISSING or not _matches(rule, field):
                return False
        elif not any(_matches_rule(option, field) for option in rule):
            return False
    return True


def _matches_rule(rule: Any, field: Any) -> bool:
    if isinstance(rule, Mapping):
        if "exists" in rule:
            return (field is not _MISSING) == bool(rule["exists"])
        if field is _MISSING:
            return False
        if "prefix" in rule:
            return isinstance(field, str) and field.startswith(rule["prefix"])
        if "anything-but" in rule:
            excluded = rule["anything-but"]
            return field not in (excluded if isinstance(excluded, list) else [excluded])
        raise ValueError(f"unsupported filter rule {rule!r}")
    return field is not _MISSING and field == rule
