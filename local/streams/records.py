"""DynamoDB stream batches exactly as Lambda's event source mapping delivers them, from GetRecords' records."""

import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any


def stream_batch(records: Sequence[Mapping[str, Any]], event_source_arn: str) -> dict[str, Any]:
    """A Lambda DynamoDB-stream event from records as GetRecords returns them."""
    return {"Records": [stream_record(record, event_source_arn) for record in records]}


def stream_record(record: Mapping[str, Any], event_source_arn: str) -> dict[str, Any]:
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime", time.time())
    if isinstance(created, datetime):  # boto3 parses it; Lambda sends epoch seconds
        created = created.timestamp()
    dynamodb["ApproximateCreationDateTime"] = int(created)
    return {
        "eventID": record.get("eventID", uuid.uuid4().hex),
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", "us-east-1"),
        "dynamodb": dynamodb,
        "eventSourceARN": event_source_arn,
    }
