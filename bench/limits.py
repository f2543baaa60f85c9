"""What the per-user send limit costs (limits/gcra.py): DynamoDB calls and capacity units per allowed send
and per refused one, by AWS's rules, with the template's default limit (in-process, against moto)."""

import uuid
from dataclasses import dataclass

from bench.calls import CallCounter
from messaging.limits import gcra
from tooling.template import Template

SENDS = 20


@dataclass(frozen=True)
class LimitCost:
    allowed_calls: dict[str, float]  # per send, by operation
    allowed_write_units: float
    allowed_read_units: float
    refused_calls: dict[str, float]
    refused_write_units: float
    refused_read_units: float


def send_limit_cost(counter: CallCounter, template: Template) -> LimitCost:
    limit = gcra.Limit(
        per_second=float(template.parameters["SendRateLimit"]), burst=int(template.parameters["SendBurstLimit"])
    )
    allowed = _metered(counter, [f"bench#{uuid.uuid4()}" for _ in range(SENDS)], limit, expect=True)
    # Refusals are measured on a key whose burst is spent and which refills too slowly to pass again while the
    # meter reads (a refused send costs the same whatever the rate: one read, no write).
    spent = gcra.Limit(per_second=0.001, burst=limit.burst)
    flooded = f"bench#{uuid.uuid4()}"
    for _ in range(limit.burst):
        gcra.take(flooded, spent)
    refused = _metered(counter, [flooded] * SENDS, spent, expect=False)
    return LimitCost(
        allowed_calls=allowed[0],
        allowed_write_units=allowed[1],
        allowed_read_units=allowed[2],
        refused_calls=refused[0],
        refused_write_units=refused[1],
        refused_read_units=refused[2],
    )


def _metered(
    counter: CallCounter, keys: list[str], limit: gcra.Limit, *, expect: bool
) -> tuple[dict[str, float], float, float]:
    counter.reset()
    with counter.metered():
        for key in keys:
            if gcra.take(key, limit).allowed is not expect:
                raise RuntimeError(f"the send limit answered {not expect} where {expect} was due")
    calls = {op: n / len(keys) for op, n in sorted(counter.dynamodb.items())}
    return calls, counter.capacity.write_units / len(keys), counter.capacity.read_units / len(keys)


def print_limit_cost(cost: dict) -> None:
    def calls(figures: dict[str, float]) -> str:
        return ", ".join(f"{op} {n:g}" for op, n in figures.items())

    print(
        f"\nSend limit (the template's default, per Cognito sub, in the limits table): an allowed send "
        f"{calls(cost['allowed_calls'])}: {cost['allowed_write_units']:g} WCU, {cost['allowed_read_units']:g} RCU;"
        f"\n  a refused one (429) {calls(cost['refused_calls'])}: {cost['refused_write_units']:g} WCU, "
        f"{cost['refused_read_units']:g} RCU. Included in C's and D's figures above."
    )
