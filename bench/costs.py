"""What messages cost in money: the usage one message was measured to take (bench/delivery.py), times the list
prices (bench/prices.py). Arithmetic only: nothing here measures, reads a file or prints."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bench.prices import Prices

MB_PER_GB = 1024  # Lambda's GB-second counts memory in GB of 1,024 MB (512 MB is 0.5 GB)
MS_PER_SECOND = 1000
MINUTES_PER_HOUR = 60


@dataclass(frozen=True)
class FunctionUse:
    """One function's part in a message."""

    name: str
    invocations: float  # per message
    billed_ms: float  # mean billed duration of one invocation (bench.costs.billed_ms)
    memory_mb: int
    architecture: str  # as template.yaml names it: arm64 or x86_64


@dataclass(frozen=True)
class MessageUse:
    """What one message takes, all services."""

    write_units: float
    read_units: float
    functions: tuple[FunctionUse, ...]
    http_requests: float
    websocket_messages: float  # every frame, the direct push's among them
    # Of those, the frames C's direct push posts (the stream's push sends each message again: the backstop).
    direct_websocket_messages: float = 0.0


@dataclass(frozen=True)
class Charge:
    service: str
    item: str
    quantity: float  # of the priced unit, for all the messages charged
    unit: str
    dollars: float


def billed_ms(durations_ms: Iterable[float]) -> float:
    """The mean billed duration of invocations that ran ``durations_ms``: Lambda rounds each up to a whole ms."""
    billed = [math.ceil(ms) for ms in durations_ms]
    if not billed:
        raise ValueError("no invocations to bill")
    return sum(billed) / len(billed)


def gb_seconds(function: FunctionUse, messages: int) -> float:
    return function.invocations * messages * function.billed_ms / MS_PER_SECOND * function.memory_mb / MB_PER_GB


def charges(use: MessageUse, prices: Prices, messages: int = 1000) -> list[Charge]:
    """What ``messages`` messages cost, by service and item, at ``prices``."""
    rows = [
        Charge(
            "DynamoDB",
            "write request units",
            use.write_units * messages,
            "WRU",
            use.write_units * messages * prices.write_request_unit,
        ),
        Charge(
            "DynamoDB",
            "read request units",
            use.read_units * messages,
            "RRU",
            use.read_units * messages * prices.read_request_unit,
        ),
    ]
    for function in use.functions:
        duration = gb_seconds(function, messages)
        rows.append(
            Charge(
                "Lambda",
                f"{function.name} duration",
                duration,
                "GB-s",
                duration * prices.lambda_gb_second[function.architecture],
            )
        )
    requests = sum(function.invocations for function in use.functions) * messages
    rows.append(Charge("Lambda", "requests", requests, "requests", requests * prices.lambda_request))
    http = use.http_requests * messages
    rows.append(Charge("API Gateway", "HTTP API requests", http, "requests", http * prices.http_api_request))
    frames = use.websocket_messages * messages
    direct = use.direct_websocket_messages * messages
    if direct:
        stream = frames - direct
        rows.append(
            Charge(
                "API Gateway", "WebSocket messages, direct push", direct, "messages", direct * prices.websocket_message
            )
        )
        rows.append(
            Charge(
                "API Gateway",
                "WebSocket messages, stream's push",
                stream,
                "messages",
                stream * prices.websocket_message,
            )
        )
    else:
        rows.append(Charge("API Gateway", "WebSocket messages", frames, "messages", frames * prices.websocket_message))
    return rows


def total(rows: Sequence[Charge]) -> float:
    return sum(row.dollars for row in rows)


def connection_hours(hours: float, prices: Prices) -> float:
    """What one WebSocket connection open for ``hours`` costs in connection minutes (whatever it is sent)."""
    return hours * MINUTES_PER_HOUR * prices.websocket_connection_minute
