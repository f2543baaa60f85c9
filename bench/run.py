"""`make bench`: speed and cost per access pattern, cold start per function. Prints one table and writes
bench/results.json. Never part of `make test`; figures are for comparing, within one run, not for asserting."""

import argparse
import json
import platform
import tempfile
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench.calls import counting_calls
from bench.changes import calls_text, change_costs, print_changes
from bench.cold_start import (
    RUNS,
    boto3_target,
    build_sizes,
    cold_imports,
    compare_with,
    function_targets,
    prepare_runtime,
)
from bench.delivery import cost_table, deliver_one_at_a_time, print_cost
from bench.direct import direct_and_stream, print_direct
from bench.limits import print_limit_cost, send_limit_cost
from bench.push import print_push, push_burst, push_latency, push_latency_beside_a_hoarder
from bench.routes import Caller, gateway_latency, measure_in_process, new_users, route_scenarios
from bench.stream import burst
from bench.typing import print_typing, typing_latency
from local.stack import EmulatedStack
from tests.dev_process import start_dev_stack
from tooling.ports import free_port
from tooling.seed import seed_conversation
from tooling.tables import table_definitions
from tooling.template import Template

RESULTS = Path(__file__).with_name("results.json")
# The in-process stack checks no token, but the template needs a pool to name.
BENCH_POOL = {"UserPoolId": "us-east-1_local", "UserPoolClientId": "local"}
STREAM_MESSAGES, STREAM_GROUPS = 1000, 50
# The benchmark's own users send as fast as the stack answers: it measures routes, not the per-user limit, whose
# cost it measures on its own (bench/limits.py). The same for the make dev stack it drives over HTTP.
UNLIMITED_SENDS = {"SendRateLimit": "1000", "SendBurstLimit": "100000"}


def bench_template() -> Template:
    return Template(parameter_overrides=BENCH_POOL)


HOARDED_SOCKETS = int(bench_template().parameters["MaxConnectionsPerUser"])


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="measured requests per route (default 100)")
    parser.add_argument("--compare", metavar="GIT_REV", help="also measure cold imports of GIT_REV, as ratios")
    parser.add_argument(
        "--only-direct-push",
        action="store_true",
        help="only the direct push beside the stream's (two make dev stacks, a few minutes); printed, not written",
    )
    parser.add_argument(
        "--only", choices=["typing"], help="measure one part alone on a fresh make dev stack, print it, write nothing"
    )
    args = parser.parse_args()
    overrides = tuple(f"{name}={value}" for name, value in UNLIMITED_SENDS.items())
    if args.only_direct_push:
        with tempfile.TemporaryDirectory(prefix="cruddur-bench-") as scratch:
            print_direct([asdict(p) for p in direct_and_stream(Path(scratch), args.requests, overrides)])
        return 0
    if args.only == "typing":
        return only_typing(args.requests)

    with tempfile.TemporaryDirectory(prefix="cruddur-bench-") as scratch:
        routes, stream, changes, push, limit_cost, delivery = in_process(Path(scratch) / "in-process", args.requests)
        stack = start_dev_stack(Path(scratch) / "gateway", extra_args=("--parameter-overrides", *overrides))
        try:
            latency = gateway_latency(stack, args.requests)
            push_delivery = push_latency(stack, args.requests)
            push_beside_hoarder = push_latency_beside_a_hoarder(stack, args.requests, HOARDED_SOCKETS)
            typing_relay = typing_latency(stack, args.requests)
        finally:
            stack.stop()
        direct_push = direct_and_stream(Path(scratch), args.requests, overrides)

    layer_deps, runtime = prepare_runtime()
    template = bench_template()
    functions = template.functions.values()
    message_cost = cost_table(
        delivery, {f.logical_id: f.memory_mb for f in functions}, {f.logical_id: f.architecture for f in functions}
    )
    sizes = build_sizes(template)
    cold = cold_imports(function_targets(template), layer_deps, runtime, reference=boto3_target(runtime))
    boto3 = cold.pop("boto3")
    boto3_ms, boto3_cpu_ms = boto3.ms or float("nan"), boto3.cpu_ms or float("nan")

    comparison = compare_with(args.compare, layer_deps, runtime) if args.compare else None
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}",
        "routes": [
            asdict(r)
            | {
                "gateway_p50_ms": latency.get(r.route, (None,))[0],
                "gateway_p99_ms": latency.get(r.route, (None, None))[1],
            }
            for r in routes
        ],
        "stream": asdict(stream),
        "stream_changes": [asdict(c) for c in changes],
        "push": {
            "latency": asdict(push_delivery),
            "burst": asdict(push),
            "beside_hoarder": asdict(push_beside_hoarder),
            "hoarded_sockets": HOARDED_SOCKETS,
            "direct_and_stream": [asdict(p) for p in direct_push],
        },
        "typing": asdict(typing_relay),
        "send_limit": asdict(limit_cost),
        "message_cost": message_cost,
        "cold_start": {
            "import_boto3_ms": boto3_ms,
            "import_boto3_cpu_ms": boto3_cpu_ms,
            "functions": {
                name: {"size_bytes": sizes.get(name)}
                | (
                    {
                        "import_ms": c.ms,
                        "import_vs_boto3": c.vs_reference,
                        "import_cpu_ms": c.cpu_ms,
                        "import_cpu_vs_boto3": c.cpu_vs_reference,
                        "beyond_boto3_ms": c.beyond(boto3),
                    }
                    if c.ms is not None
                    else {"error": c.error}
                )
                for name, c in cold.items()
            },
        },
        "compared_with": {"revision": args.compare, "cold_start": comparison} if comparison else None,
    }
    RESULTS.write_text(json.dumps(results, indent=2))
    print_table(results)
    return 0


def only_typing(frames: int) -> int:
    """The typing relay's latency alone (``--only typing``): on a make dev stack of its own."""
    with tempfile.TemporaryDirectory(prefix="cruddur-bench-") as scratch:
        stack = start_dev_stack(Path(scratch) / "gateway")
        try:
            print_typing(asdict(typing_latency(stack, frames)))
        finally:
            stack.stop()
    return 0


def in_process(state_dir: Path, requests: int):
    stack = EmulatedStack(
        moto_port=free_port(), state_dir=state_dir, parameter_overrides={**BENCH_POOL, **UNLIMITED_SENDS}
    )
    stack.start()
    try:
        andrew = Caller(str(uuid.uuid4()))
        with stack.postgres_connection() as connection, connection.cursor() as cursor:
            cursor.execute("UPDATE users SET cognito_user_id = %s WHERE handle = 'andrewbrown'", (andrew.sub,))
        connection.close()
        seed_conversation()
        with counting_calls(table_definitions(stack.template), stack.client("dynamodb")) as counter:
            routes = measure_in_process(route_scenarios(stack, andrew, requests), counter, requests)
            stream = burst(
                stack,
                counter,
                andrew.sub,
                lambda count: new_users(stack.connection_url, count),
                groups=STREAM_GROUPS,
                messages=STREAM_MESSAGES,
            )
            changes = change_costs(stack, counter, andrew.sub, lambda count: new_users(stack.connection_url, count))
            limit_cost = send_limit_cost(counter, bench_template())
            delivery = deliver_one_at_a_time(
                stack, counter, lambda count: new_users(stack.connection_url, count), messages=requests
            )
        # Outside the meter: push's figures are calls and posts, and the burst's writes need not be billed.
        push = push_burst(
            stack,
            andrew.sub,
            lambda count: new_users(stack.connection_url, count),
            groups=STREAM_GROUPS,
            messages=STREAM_MESSAGES,
        )
        return routes, stream, changes, push, limit_cost, delivery
    finally:
        stack.stop()


def print_reads(routes: list[dict]) -> None:
    """What each route reads, per request: the table and the key's prefix of every GetItem and Query. C's and D's
    rows show the safety rules' cost: C's one group item (its blocked_by with the membership), D's pair item (its
    blocked_by with the pair's group), the other user's settings only for a new pair."""
    print("\nReads per request, by item (table, key prefix; RateLimits: the send allowance):")
    for r in routes:
        reads = ", ".join(f"{target} {n:g}" for target, n in r["reads"].items()) or "none"
        print(f"  {r['route']:<44}{reads}")


def print_table(results: dict) -> None:
    print(f"\nCruddur Messages benchmark, {results['when']} on {results['machine']}\n")
    header = (
        f"{'route':<44}{'handler p50/p99 ms':>20}{'gateway p50/p99 ms':>20}  "
        f"{'DynamoDB calls / request':<46}{'PG':>5}{'WCU':>6}{'RCU':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results["routes"]:
        calls = calls_text(r["dynamodb_calls"], r["refused_calls"])
        gateway = f"{r['gateway_p50_ms']:.1f}/{r['gateway_p99_ms']:.1f}" if r["gateway_p50_ms"] else "-"
        print(
            f"{r['route']:<44}{r['handler_p50_ms']:>9.1f}/{r['handler_p99_ms']:<10.1f}{gateway:>20}  "
            f"{calls:<46}{r['postgres_calls']:>5g}{r['write_units']:>6g}{r['read_units']:>6g}"
        )
    print(
        "WCU/RCU: capacity units per request by AWS's rules (bench/capacity.py: item sizes, indexes touched,\n"
        "transactions x2); refused: conditional writes DynamoDB refused (billed all the same)."
    )
    print_reads(results["routes"])
    s = results["stream"]
    print(
        f"\nPattern E: {s['records']} records over {s['groups']} groups in batches of {s['batch_size']}: "
        f"{s['records_per_second']:.0f} records/s, {s['dynamodb_writes_per_record']:.3f} DynamoDB writes per record "
        f"({', '.join(f'{op} {n}' for op, n in sorted(s['dynamodb_calls'].items()))})"
    )
    for label, key in (
        ("write units per record", "write_units_per_record"),
        ("read units per record", "read_units_per_record"),
        ("write units per group-item update", "write_units_per_update"),
    ):
        print(f"  {label:<34}{s[key]:>8.3f}")
    print_changes(results["stream_changes"])
    push = results["push"]
    print_push(push["latency"], push["burst"], push["beside_hoarder"], push["hoarded_sockets"])
    print_direct(push["direct_and_stream"])
    if "typing" in results:
        print_typing(results["typing"])
    print_limit_cost(results["send_limit"])
    print_cost(results["message_cost"])
    cold = results["cold_start"]
    print(
        f"\nCold start: median import of the handler module over {RUNS} rounds, each right after an `import boto3`"
        f" alone ({cold['import_boto3_ms']:.0f} ms wall,\n{cold['import_boto3_cpu_ms']:.0f} ms CPU); x boto3: the"
        " median of those paired ratios. CPU time is the steadier figure on a busy machine;\nsize: function +"
        " layer unzipped; beyond boto3: self time (wall) of the modules boto3's import does not load, by package."
    )
    print(f"  {'function':<30}{'wall ms':>8}{'x boto3':>9}{'CPU ms':>8}{'x boto3':>9}{'size':>9}   beyond boto3 (ms)")
    for name, f in cold["functions"].items():
        size = f"{f['size_bytes'] / 1e6:.1f} MB" if f["size_bytes"] else "-"
        if "error" in f:
            print(f"  {name:<30}{f['error']}")
            continue
        beyond = ", ".join(f"{package} {ms:.0f}" for package, ms in f["beyond_boto3_ms"].items())
        print(
            f"  {name:<30}{f['import_ms']:>8.0f}{f['import_vs_boto3']:>9.2f}{f['import_cpu_ms']:>8.0f}"
            f"{f['import_cpu_vs_boto3']:>9.2f}{size:>9}   {beyond}"
        )
    if results["compared_with"]:
        print(f"\nCold import against {results['compared_with']['revision']} (same run, alternating):")
        for name, c in results["compared_with"]["cold_start"].items():
            print(f"  {name:<30}{c['base_ms']:>7.0f} ms -> {c['now_ms']:>4.0f} ms  ({c['ratio']:.2f} x)")
    print(f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    raise SystemExit(main())
