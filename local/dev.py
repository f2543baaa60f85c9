"""`make dev`: the whole product on this machine, no Docker, no AWS account.

Starts moto (DynamoDB, Streams, Cognito) and PostgreSQL, loads schema, seed users (in PostgreSQL and Cognito) and
a seeded conversation, runs a stream poller per event source mapping (pattern E, push) in the background, serves
the WebSocket API and serves the HTTP API on SAM CLI's emulator. Ctrl-C stops everything it started.
"""

import argparse
import logging
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path

from local.http_api.gateway import create_gateway
from local.logs import configure_dev_logging
from local.servers.snapshot import TableSnapshot
from local.stack import EmulatedStack
from local.streams.poller import IDLE_POLL_INTERVAL_SECONDS, StreamPoller
from local.websocket.faulty_management import FAULTS
from messaging.core.tokens import AccessTokenVerifier
from tooling.cognito import LOCAL_PASSWORD, UserPool, ensure_user_pool, ensure_users, sync_cognito_user_ids
from tooling.paths import LOCAL_STATE_DIR, PROJECT_ROOT
from tooling.ports import port_in_use
from tooling.stack_state import remove_stack_state, write_stack_state

logger = logging.getLogger("cruddur.dev")
SNAPSHOT_FILE = "dynamodb.json"
SNAPSHOT_INTERVAL_SECONDS = 10.0
# What `make dev` users can set (the Makefile passes the environment through); flags are for `python -m local.dev`.
PORT_KNOBS = {"API": "API_PORT", "WebSocket": "WS_PORT", "moto": "MOTO_PORT", "PostgreSQL TCP": "PG_PORT"}
# Seeds moto's random values before the seed users are created, so each start gives them the same Cognito subs:
# the sample events in events/ name andrewbrown's, and tokens survive a restart.
COGNITO_RANDOM_SEED = 5
DEFAULT_EDIT_WINDOW_SECONDS = 900  # the API's, for a template without the parameter


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    _quiet_logging()
    # A shell starting us in the background ignores SIGINT for us; Ctrl-C or `kill -INT` must still stop the stack.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ports = {"API": args.api_port, "WebSocket": args.ws_port, "moto": args.moto_port}
    if not os.environ.get("CONNECTION_URL"):
        ports["PostgreSQL TCP"] = args.postgres_port
    if (clash := _shared_port(ports)) is not None:
        print(clash, file=sys.stderr)
        return 1
    for name, port in ports.items():
        if port_in_use(port, args.host):
            print(
                f"error: port {port} ({name}) on {args.host} is already in use; stop what runs there, or choose "
                f"another port: make dev {PORT_KNOBS[name]}={port + 1}",
                file=sys.stderr,
            )
            return 1
    stack = EmulatedStack(
        moto_port=args.moto_port,
        state_dir=args.state_dir,
        connection_url=os.environ.get("CONNECTION_URL"),
        host=args.host,
        postgres_tcp_port=args.postgres_port,
        parameter_overrides=dict(args.parameter_overrides),
        stream_push=not args.no_stream_push,
        direct_push_fault=args.direct_push_fault,
    )
    stop = threading.Event()
    background: list[threading.Thread] = []
    snapshot = TableSnapshot(args.state_dir / SNAPSHOT_FILE, [])
    try:
        stack.start()
        snapshot.table_names = stack.table_names
        _restore(stack, snapshot, fresh=args.fresh)
        pool = ensure_user_pool(stack.client("cognito-idp"), stack.region)
        stack.use_user_pool(pool)
        _seed(stack, pool)
        background = _start_background(stack, snapshot, stop)
        websocket = stack.start_websocket_gateway(args.ws_port)
        authorizer = AccessTokenVerifier(pool.jwks_url(stack.moto.url), pool.issuer, [pool.client_id])
        static_dir = PROJECT_ROOT / "web"
        gateway = create_gateway(
            stack.template,
            stack.functions,
            authorizer,
            host=args.host,
            port=args.api_port,
            static_dir=static_dir if static_dir.is_dir() else None,
            # The web client calls the API on its own origin, Cognito's InitiateAuth on the moto server, and
            # listens for pushes on the WebSocket API.
            web_config={
                "apiUrl": "",
                "websocketUrl": websocket.url,
                "cognito": {"endpoint": f"{stack.moto.url}/", "clientId": pool.client_id},
                "editWindowSeconds": _edit_window_seconds(stack),
            },
        )
        api_url = f"http://{args.host}:{args.api_port}"
        _write_state(args.state_dir, api_url, websocket.url, stack, pool)
        _banner(api_url, websocket.url, stack)
        gateway.run()  # blocks until Ctrl-C or SIGTERM
    except KeyboardInterrupt:
        pass
    except Exception as error:
        if type(error).__name__ != "ProcessSigTermException":
            logger.exception("local stack failed")
            print(f"error: the local stack stopped: {error}", file=sys.stderr)
            return 1
    finally:
        stop.set()
        if background:
            stack.stream.wake()  # poll threads waiting out an idle interval see the stop now
        # Clients leave first: their $disconnect runs while the functions can still reach the tables.
        stack.stop_websocket_gateway()
        for thread in background:
            thread.join()
        if background:
            _save_quietly(stack, snapshot)  # the gateways have stopped: nothing writes any more
        stack.stop()
        remove_stack_state(args.state_dir)
        print("local stack stopped", file=sys.stderr)
    return 0


def _shared_port(ports: dict[str, int]) -> str | None:
    """The error for two servers given one port (the second could not listen, and its calls would reach the
    first), or None."""
    first_with: dict[int, str] = {}
    for name, port in ports.items():
        if port in first_with:
            return (
                f"error: the {first_with[port]} and {name} servers were both given port {port}; each needs its own: "
                f"make dev {PORT_KNOBS[name]}=<another port>"
            )
        first_with[port] = name
    return None


def _edit_window_seconds(stack: EmulatedStack) -> int:
    """The template's MessageEditWindowSeconds (with --parameter-overrides): the web client offers Edit within it."""
    return int(stack.template.parameters.get("MessageEditWindowSeconds") or DEFAULT_EDIT_WINDOW_SECONDS)


def _quiet_logging() -> None:
    """Our own progress and request lines; the libraries' chatter only when it matters."""
    configure_dev_logging(logging.WARNING)
    for name in ("cruddur.dev", "local", "werkzeug"):
        logging.getLogger(name).setLevel(logging.INFO)
    # Read-only requests publish no application metric, which Powertools reports on every call.
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    # SAM's emulator warns on every route that it skips JWT authorizers: checking tokens is our runner's job.
    logging.getLogger("samcli.lib.providers.api_collector").setLevel(logging.ERROR)


def _seed(stack: EmulatedStack, pool: UserPool) -> None:
    from tooling.seed import seed_conversation  # noqa: PLC0415 - needs the functions' environment first

    cognito = stack.client("cognito-idp")
    with stack.postgres_connection() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT handle, email FROM users ORDER BY handle")
        seed_users = cursor.fetchall()
        # The pool is new on each start, so every link kept in PostgreSQL names a user of a pool that is gone,
        # whose sub moto may now give someone else: the linking, which never changes a link, starts from none.
        cursor.execute("UPDATE users SET cognito_user_id = NULL WHERE cognito_user_id IS NOT NULL")
    stack.moto.seed_random(COGNITO_RANDOM_SEED)
    created = ensure_users(cognito, pool, seed_users, LOCAL_PASSWORD)
    links = sync_cognito_user_ids(cognito, pool.pool_id, stack.connection_url)
    for conflict in links.conflicts:
        logger.warning("Cognito user %s not linked: %s", conflict.user.username, conflict.reason)
    written = seed_conversation()
    drained = stack.stream.drain()
    logger.info(
        "seeded: %d Cognito users created, %d linked, %d messages written, %d stream records applied",
        len(created),
        len(links.linked),
        written,
        drained,
    )


def _restore(stack: EmulatedStack, snapshot: TableSnapshot, *, fresh: bool) -> None:
    if fresh and snapshot.discard():
        logger.info("--fresh: the previous DynamoDB data was discarded")
    restored = snapshot.restore(stack.resource("dynamodb"))
    # The restored items are already as the stream function left them: their stream records are not news.
    stack.stream.skip_to_end()
    if restored:
        logger.info("DynamoDB: %d items restored from %s", restored, snapshot.path)


def _start_background(stack: EmulatedStack, snapshot: TableSnapshot, stop: threading.Event) -> list[threading.Thread]:
    """A thread per event source mapping, so that one consumer's retries never delay another (as with separate
    mappings in AWS), and one that snapshots the tables while messages flow."""
    threads = [
        threading.Thread(target=_poll_forever, args=(poller, stop), name=f"stream-{poller.function_id}", daemon=True)
        for poller in stack.stream.pollers
    ]
    threads.append(
        threading.Thread(target=_snapshot_forever, args=(stack, snapshot, stop), name="snapshot", daemon=True)
    )
    for thread in threads:
        thread.start()
    return threads


def _poll_forever(poller: StreamPoller, stop: threading.Event) -> None:
    """Lambda's pace while records flow; idle, longer and longer waits that a write cuts short."""
    interval = poller.poll_interval
    while not stop.is_set():
        started = time.monotonic()
        moved = False
        try:
            _, moved = poller.poll_once()
        except Exception:
            logger.exception("stream poll of %s failed; retrying", poller.function_id)
        interval = poller.poll_interval if moved else min(interval * 2, IDLE_POLL_INTERVAL_SECONDS)
        # Never sooner than Lambda polls, however many writes wake it: a busy stack's polls stay at its rate.
        stop.wait(started + poller.poll_interval - time.monotonic())
        poller.woken.wait(started + interval - time.monotonic())
        poller.woken.clear()  # the next poll reads whatever woke it


def _snapshot_forever(stack: EmulatedStack, snapshot: TableSnapshot, stop: threading.Event) -> None:
    saved_progress = stack.stream.progress
    while not stop.wait(SNAPSHOT_INTERVAL_SECONDS):
        if stack.stream.progress == saved_progress:
            continue  # no record flowed: the file is current
        try:
            saved_progress = stack.stream.progress
            _save(stack, snapshot)
        except Exception:
            logger.exception("snapshot failed; retrying")


def _save(stack: EmulatedStack, snapshot: TableSnapshot) -> None:
    # No handler runs while the lock is held, and the drain applies what is pending: the file holds a state every
    # stream consumer has caught up with, so a restart neither replays nor loses a record. A crash loses only
    # what came after the last snapshot, items and their records alike. The pollers' locks come first, as in
    # their own threads (poller, then invocation), so the two orders never cross.
    with stack.stream.exclusive(), stack.functions.invocation_lock:
        stack.stream.drain()
        snapshot.save(stack.client("dynamodb"))


def _save_quietly(stack: EmulatedStack, snapshot: TableSnapshot) -> None:
    try:
        _save(stack, snapshot)
    except Exception:
        logger.exception("could not save the DynamoDB data; the next start begins from the previous snapshot")


def _write_state(state_dir: Path, api_url: str, websocket_url: str, stack: EmulatedStack, pool: UserPool) -> None:
    state = {
        "api_url": api_url,
        "websocket_url": websocket_url,
        "websocket_management_url": stack.management.url if stack.management is not None else None,
        "aws_endpoint_url": stack.moto.url,
        "region": stack.region,
        "user_pool_id": pool.pool_id,
        "user_pool_client_id": pool.client_id,
        "connection_url": stack.connection_url,
        "postgres_tcp_url": stack.postgres_tcp_url,
        "messages_table": stack.template.table_name("MessagesTable"),
        "connections_table": stack.template.table_name("ConnectionsTable"),
        "pid": os.getpid(),
        "moto_pid": stack.moto.pid,
    }
    write_stack_state(state_dir, state)


def _banner(api_url: str, websocket_url: str, stack: EmulatedStack) -> None:
    print(
        f"""
Cruddur Messages is running (Ctrl-C stops everything).

  Web client  {api_url}/   (sign in as any user below, in two browser windows)
  API         {api_url}   (moto: {stack.moto.url}, PostgreSQL: {stack.connection_url})
  WebSocket   {websocket_url}?token=<access token>   (new messages pushed as they are sent)
  PostgreSQL  {stack.postgres_tcp_url or "your CONNECTION_URL"}   (over TCP, for sam local: see the README)
  Users       andrewbrown, bayko, londo, worf, garek    password: {LOCAL_PASSWORD}

  TOKEN=$(bin/cognito/token andrewbrown)
  curl -s -H "Authorization: Bearer $TOKEN" {api_url}/api/message_groups
""",
        flush=True,
    )


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make dev", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", "3000")))
    # 3002: sam local start-api takes 3001 in samconfig.toml.
    parser.add_argument("--ws-port", type=int, default=int(os.environ.get("WS_PORT", "3002")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", "8000")))
    # 5433, not 5432: a PostgreSQL of the machine's own often has that one.
    parser.add_argument("--postgres-port", type=int, default=int(os.environ.get("PG_PORT", "5433")))
    parser.add_argument("--state-dir", type=Path, default=LOCAL_STATE_DIR)
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        type=_parameter,
        help="template parameters, as sam deploy takes them (e.g. SendRateLimit=2 MaxConnectionsPerUser=5)",
    )
    parser.add_argument(
        "--no-stream-push",
        action="store_true",
        help="test switch: no poller for MessagePushFunction, so new messages reach sockets only by C and D's "
        "direct push (edits, deletions and read markers not at all)",
    )
    parser.add_argument(
        "--direct-push-fault",
        choices=FAULTS,
        default=None,
        help="test switch: C and D's direct push gets a management endpoint that answers 500 at once (refuse) or "
        "never answers (hang); the stream's push keeps the working one",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help=f"discard the DynamoDB data kept in STATE_DIR/{SNAPSHOT_FILE} and start from the seed only",
    )
    return parser.parse_args(argv)


def _parameter(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name, value


if __name__ == "__main__":
    sys.exit(main())
