"""bench.costs against a hand-worked example at bench.prices' us-east-1 list prices."""

from dataclasses import replace

import pytest

from bench.costs import FunctionUse, MessageUse, billed_ms, charges, connection_hours, total
from bench.prices import US_EAST_1

# Per message: 8 write and 2.5 read request units; C once for 25 ms and E once for 12 ms at 256 MB on Arm, push
# twice for 10 ms at 512 MB on x86; one HTTP request; two WebSocket frames.
EXAMPLE = MessageUse(
    write_units=8,
    read_units=2.5,
    functions=(
        FunctionUse("CreateMessageFunction", invocations=1, billed_ms=25, memory_mb=256, architecture="arm64"),
        FunctionUse("MessageStreamFunction", invocations=1, billed_ms=12, memory_mb=256, architecture="arm64"),
        FunctionUse("MessagePushFunction", invocations=2, billed_ms=10, memory_mb=512, architecture="x86_64"),
    ),
    http_requests=1,
    websocket_messages=2,
)

# Worked by hand, for 1,000 messages:
#   8,000 WRU x $0.625/M = $0.005;  2,500 RRU x $0.125/M = $0.0003125
#   C:    1,000 x 0.025 s x 0.25 GB = 6.25 GB-s x $0.0000133334 = $0.00008333375
#   E:    1,000 x 0.012 s x 0.25 GB = 3 GB-s    x $0.0000133334 = $0.0000400002
#   push: 2,000 x 0.010 s x 0.5 GB  = 10 GB-s   x $0.0000166667 = $0.000166667
#   4,000 Lambda requests x $0.20/M = $0.0008;  1,000 HTTP requests x $1/M = $0.001;  2,000 frames x $1/M = $0.002
BY_HAND = {
    ("DynamoDB", "write request units"): (8000, 0.005),
    ("DynamoDB", "read request units"): (2500, 0.0003125),
    ("Lambda", "CreateMessageFunction duration"): (6.25, 0.00008333375),
    ("Lambda", "MessageStreamFunction duration"): (3, 0.0000400002),
    ("Lambda", "MessagePushFunction duration"): (10, 0.000166667),
    ("Lambda", "requests"): (4000, 0.0008),
    ("API Gateway", "HTTP API requests"): (1000, 0.001),
    ("API Gateway", "WebSocket messages"): (2000, 0.002),
}
TOTAL_BY_HAND = 0.00940250095


def test_each_charge_of_a_thousand_messages_is_the_hand_worked_figure() -> None:
    rows = charges(EXAMPLE, US_EAST_1, messages=1000)
    found = {(row.service, row.item): (row.quantity, row.dollars) for row in rows}
    assert found == {key: (pytest.approx(n), pytest.approx(usd, rel=1e-12)) for key, (n, usd) in BY_HAND.items()}


def test_the_total_is_the_sum_of_the_hand_worked_charges() -> None:
    assert total(charges(EXAMPLE, US_EAST_1, messages=1000)) == pytest.approx(TOTAL_BY_HAND, rel=1e-12)


def test_charges_scale_with_the_number_of_messages() -> None:
    assert total(charges(EXAMPLE, US_EAST_1, messages=1_000_000)) == pytest.approx(TOTAL_BY_HAND * 1000, rel=1e-12)


def test_the_direct_push_s_frames_are_a_row_of_their_own_beside_the_backstop_s() -> None:
    # Four frames a message, two of them C's direct push: 2,000 + 2,000 frames x $1/M; the total grows by $0.002.
    direct = replace(EXAMPLE, websocket_messages=4, direct_websocket_messages=2)
    found = {(row.service, row.item): (row.quantity, row.dollars) for row in charges(direct, US_EAST_1, 1000)}
    assert ("API Gateway", "WebSocket messages") not in found
    assert found[("API Gateway", "WebSocket messages, direct push")] == (2000, pytest.approx(0.002))
    assert found[("API Gateway", "WebSocket messages, stream's push")] == (2000, pytest.approx(0.002))
    assert total(charges(direct, US_EAST_1, 1000)) == pytest.approx(TOTAL_BY_HAND + 0.002, rel=1e-12)


def test_each_invocation_is_billed_in_whole_milliseconds_rounded_up() -> None:
    # 0.2 ms and 1.0 ms bill 1 ms each, 24.01 ms bills 25: (1 + 1 + 25) / 3.
    assert billed_ms([0.2, 1.0, 24.01]) == 9.0


def test_no_invocations_bill_nothing_rather_than_a_mean_of_none() -> None:
    with pytest.raises(ValueError, match="no invocations"):
        billed_ms([])


def test_a_connection_open_a_month_costs_its_minutes_alone() -> None:
    # 730 hours x 60 minutes = 43,800 connection minutes x $0.25/M = $0.01095.
    assert connection_hours(730, US_EAST_1) == pytest.approx(0.01095, rel=1e-12)
