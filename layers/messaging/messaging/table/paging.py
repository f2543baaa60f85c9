"""One paginated Query, shared by every listing: newest first, ``limit`` items, an opaque cursor if more exist."""

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from messaging.core.aws import dynamodb
from messaging.core.errors import InvalidCursor
from messaging.table.cursor import decode_cursor, encode_cursor


def query_page(
    query: dict[str, Any],
    *,
    partition: str,
    limit: int,
    cursor: str | None,
    cursor_attributes: Sequence[str],
) -> tuple[list[dict[str, Any]], str | None]:
    """Runs ``query`` (a Query request without paging fields) for the newest ``limit`` items of ``partition``."""
    request = {**query, "ScanIndexForward": False, "Limit": limit + 1}
    if cursor is not None:
        request["ExclusiveStartKey"] = decode_cursor(cursor, cursor_attributes, partition)
    try:
        response = dynamodb().query(**request)
    except ClientError as error:
        # DynamoDB checks a start key against its own rules too; the only part of this query a client chose is
        # the cursor, so a start key it refuses is the client's bad cursor (a 400), not our fault (a 500).
        if cursor is not None and error.response.get("Error", {}).get("Code") == "ValidationException":
            raise InvalidCursor("The cursor does not belong to this listing.") from error
        raise
    items = response.get("Items", [])
    # Asking for one item more tells whether another page exists without a second call; a page cut short by
    # DynamoDB's 1 MB limit (LastEvaluatedKey with few items) also has more.
    has_more = len(items) > limit or "LastEvaluatedKey" in response
    items = items[:limit]
    next_cursor = encode_cursor(items[-1], cursor_attributes) if has_more and items else None
    return items, next_cursor
