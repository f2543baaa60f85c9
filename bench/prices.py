"""AWS list prices, us-east-1, that `make bench` turns a message's measured usage into money with (bench/costs.py).

The one place the prices live: when AWS changes one, change it here (and its source and date below).

Checked 2026-12-02, against stored copies of AWS's own pricing pages and of pages that quote their figures (the
pricing pages fill their rate tables in by script, so the stored text of some shows the rates only in their worked
examples). No figure published as of 2026-12-01 was found; the date they were checked is the date given.

- DynamoDB, on-demand, Standard table class: $0.625 per million write request units, $0.125 per million read
  request units (the prices since AWS halved on-demand throughput prices in November 2024).
  https://aws.amazon.com/dynamodb/pricing/on-demand/ (units and their sizes); the figures as quoted from it by
  https://airbyte.com/data-engineering-resources/dynamodb-pricing ("Current Pricing Structure (US East)").
- DynamoDB Streams: GetRecords calls made by Lambda triggers (both stream consumers here) are not charged.
  https://aws.amazon.com/dynamodb/pricing/on-demand/ ("Change data capture"), and
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CostOptimization_StreamsUsage.html
- Lambda: duration $0.0000133334 per GB-second on Arm (arm64, what template.yaml's Globals choose; first 7.5 billion
  GB-seconds a month) and $0.0000166667 on x86 (first 6 billion); requests $0.20 per million on either. Duration
  is billed per invocation, rounded up to the next millisecond; since 1 August 2025 the INIT phase of a cold start
  is billed as well. https://aws.amazon.com/lambda/pricing/ ; the figures as quoted by
  https://cloudchipr.com/blog/aws-lambda-pricing (US East, x86 and Arm tiers); INIT billing:
  https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/
- API Gateway, HTTP API: $1.00 per million requests (first 300 million a month), each metered in 512 KB increments.
  WebSocket API: $1.00 per million messages sent or received (first 1 billion a month), metered in 32 KB increments,
  and $0.25 per million connection minutes. https://aws.amazon.com/api-gateway/pricing/ ; the figures as quoted by
  https://amnic.com/blogs/aws-api-gateway-pricing ("Source: Amazon API Gateway Pricing") and
  https://www.stormit.cloud/blog/amazon-api-gateway-pricing (the 512 KB and 32 KB increments).

Free tiers, volume tiers beyond the first, savings plans and data transfer out are left out: these are the prices
of the first paid unit.
"""

from dataclasses import dataclass

CHECKED = "2026-12-02"
REGION = "us-east-1"
PER_MILLION = 1_000_000


@dataclass(frozen=True)
class Prices:
    """US dollars per unit."""

    write_request_unit: float
    read_request_unit: float
    lambda_gb_second: dict[str, float]  # by architecture, as template.yaml names it
    lambda_request: float
    http_api_request: float
    websocket_message: float
    websocket_connection_minute: float


US_EAST_1 = Prices(
    write_request_unit=0.625 / PER_MILLION,
    read_request_unit=0.125 / PER_MILLION,
    lambda_gb_second={"arm64": 0.0000133334, "x86_64": 0.0000166667},
    lambda_request=0.20 / PER_MILLION,
    http_api_request=1.00 / PER_MILLION,
    websocket_message=1.00 / PER_MILLION,
    websocket_connection_minute=0.25 / PER_MILLION,
)
