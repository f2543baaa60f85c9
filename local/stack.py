"""The local stack assembled: servers, schema and tables, the template's functions, the stream pollers (one per
event source mapping) and the WebSocket API's management endpoint; its WebSocket gateway on request.

``make dev`` and the integration tests start this same object, on fixed or free ports.
"""

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Self

import boto3
import psycopg2
import psycopg2.extensions

from local.runtime.lambdas import LocalFunctions
from local.servers.moto_process import MotoServer
from local.servers.postgres import EmbeddedPostgres
from local.servers.tcp_forwarder import TcpToUnixForwarder
from local.streams.poller import StreamPoller, StreamPollers
from local.websocket.api import websocket_api
from local.websocket.connections import ConnectionRegistry
from local.websocket.faulty_management import FaultyManagementApi
from local.websocket.gateway import WebSocketGateway
from local.websocket.management_api import ManagementApi
from tooling.cognito import UserPool
from tooling.moto_clients import MOTO_CREDENTIALS, moto_client
from tooling.paths import SEED_SQL, schema_files
from tooling.postgres_admin import LOCAL_DATABASE, create_database, run_sql_files, with_database
from tooling.tables import ensure_table, table_definitions
from tooling.template import Template

STREAM_FUNCTION = "MessageStreamFunction"
PUSH_FUNCTION = "MessagePushFunction"
DEAD_LETTER_QUEUE = "MessageStreamDLQ"  # the template's logical id


class EmulatedStack:
    """What ``make dev`` and the integration tests run against, on the ports they choose; ``stop`` undoes ``start``."""

    def __init__(
        self,
        *,
        moto_port: int,
        state_dir: Path,
        connection_url: str | None = None,
        region: str = "us-east-1",
        host: str = "127.0.0.1",
        parameter_overrides: dict[str, str] | None = None,
        postgres_tcp_port: int | None = None,
        stream_push: bool = True,
        direct_push_fault: str | None = None,
    ) -> None:
        self.region = region
        self.state_dir = state_dir
        self.moto = MotoServer(moto_port, host=host, log_path=state_dir / "moto.log")
        self.postgres = None if connection_url else EmbeddedPostgres(state_dir / "postgres")
        self.connection_url = connection_url or ""
        self.host = host
        # The embedded PostgreSQL on a TCP port as well, for clients that cannot reach its socket (containers).
        self.postgres_tcp_port = postgres_tcp_port if self.postgres is not None else None
        self._postgres_tcp: TcpToUnixForwarder | None = None
        self.template = Template(parameter_overrides=parameter_overrides, region=region)
        self.functions: LocalFunctions
        self.stream: StreamPollers
        # The WebSocket API's open connections: the gateway adds them, the management API posts to them.
        self.connections = ConnectionRegistry()
        self.management: ManagementApi | None = None
        self.websocket: WebSocketGateway | None = None
        self._queue_urls: dict[str, str] = {}
        # Test switches of the local stack only (README, "Local stack"): without the stream's push, only C and
        # D's direct push delivers; with a fault, the direct push meets a failing endpoint and the stream's
        # push delivers alone.
        self.stream_push = stream_push
        self.direct_push_fault = direct_push_fault
        self.faulty_management: FaultyManagementApi | None = None

    def start(self) -> Self:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.moto.start()
        try:
            if self.postgres is not None:
                self.connection_url = with_database(self.postgres.start(), LOCAL_DATABASE)
                if self.postgres_tcp_port is not None:
                    self._postgres_tcp = TcpToUnixForwarder(
                        self.postgres.socket_path, self.host, self.postgres_tcp_port
                    ).start()
            create_database(self.connection_url)
            run_sql_files(self.connection_url, *schema_files(), SEED_SQL)
            # Before the functions: the push function's environment names its endpoint.
            self.management = ManagementApi(self.connections, websocket_api(self.template).stage, host=self.host)
            self.management.start()
            if self.direct_push_fault is not None:
                stage = websocket_api(self.template).stage
                self.faulty_management = FaultyManagementApi(self.direct_push_fault, stage, host=self.host).start()
            self.functions = LocalFunctions(self.template, self.environment)
            for definition in table_definitions(self.template):
                ensure_table(self.client("dynamodb"), definition)
            self.stream = StreamPollers(self._stream_pollers())
            self.functions.after_invocation.append(self.stream.wake)
        except BaseException:
            self.stop()
            raise
        return self

    def _stream_pollers(self) -> list[StreamPoller]:
        """One poller per DynamoDB event of each function, in template order, each at its starting position."""
        pollers = []
        for function_id, spec in self.template.functions.items():
            if function_id == PUSH_FUNCTION and not self.stream_push:
                continue
            for event in spec.stream_events:
                poller = StreamPoller(
                    self.functions,
                    self.client("dynamodb"),
                    self.client("dynamodbstreams"),
                    function_id,
                    event,
                    table=_table_of_stream(event["Stream"]),
                    on_failure=self._dead_letter_sender(event),
                )
                pollers.append(poller.start())
        return pollers

    def _dead_letter_sender(self, event: Mapping[str, Any]) -> Callable[[dict[str, Any]], None] | None:
        destination = ((event.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if not destination:
            return None
        queue = str(destination).rsplit(":", 1)[-1]  # the template model's local ARN ends with the logical id

        def send(notice: dict[str, Any]) -> None:
            self.client("sqs").send_message(QueueUrl=self.queue_url(queue), MessageBody=json.dumps(notice))

        return send

    def queue_url(self, logical_id: str) -> str:
        """A queue of the template, created on first use (SQS has no TableName-like property): named as its id."""
        if logical_id not in self._queue_urls:
            self._queue_urls[logical_id] = self.client("sqs").create_queue(QueueName=logical_id)["QueueUrl"]
        return self._queue_urls[logical_id]

    @property
    def dead_letter_queue_url(self) -> str:
        """Pattern E's on-failure queue."""
        return self.queue_url(DEAD_LETTER_QUEUE)

    def use_user_pool(self, pool: UserPool) -> None:
        """Points the template and the functions that check tokens themselves (the WebSocket authorizer) at a
        local Cognito pool, whose keys moto serves: the template names AWS's JWKS URL."""
        self.template.parameters.update({"UserPoolId": pool.pool_id, "UserPoolClientId": pool.client_id})
        os.environ.update(
            COGNITO_ISSUER=pool.issuer,
            COGNITO_JWKS_URL=pool.jwks_url(self.moto.url),
            COGNITO_CLIENT_ID=pool.client_id,
        )

    def start_websocket_gateway(self, port: int = 0) -> WebSocketGateway:
        """The template's WebSocket API on ``port`` (0: a free one). Start it once tokens can be checked."""
        self.websocket = WebSocketGateway(
            websocket_api(self.template),
            self.functions,
            self.connections,
            host=self.host,
            port=port,
            region=self.region,
        ).start()
        return self.websocket

    def stop_websocket_gateway(self) -> None:
        """Closes every WebSocket connection (each runs $disconnect) and stops listening."""
        if self.websocket is not None:
            self.websocket.stop()
            self.websocket = None

    @property
    def postgres_tcp_url(self) -> str | None:
        if self._postgres_tcp is None:
            return None
        return f"postgresql://postgres@{self.host}:{self.postgres_tcp_port}/{LOCAL_DATABASE}"

    def stop(self) -> None:
        self.stop_websocket_gateway()
        if self.management is not None:
            self.management.stop()
            self.management = None
        if self.faulty_management is not None:
            self.faulty_management.stop()
            self.faulty_management = None
        if self._postgres_tcp is not None:
            self._postgres_tcp.stop()
            self._postgres_tcp = None
        self.moto.stop()
        if self.postgres is not None:
            self.postgres.stop()

    @property
    def environment(self) -> dict[str, str]:
        """What the functions get on top of their template environment, instead of AWS."""
        return {
            **{name.upper(): value for name, value in MOTO_CREDENTIALS.items()},
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.moto.url,
            "AWS_ENDPOINT_URL_DYNAMODB": self.moto.url,  # the template declares it (empty) for sam local
            "CONNECTION_URL": self.connection_url,
            "CONNECTION_URL_PARAMETER": "",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "WEBSOCKET_MANAGEMENT_URL": self.management.url if self.management is not None else "",
            "DIRECT_PUSH_MANAGEMENT_URL": self._direct_push_url,
        }

    @property
    def _direct_push_url(self) -> str:
        """C and D's endpoint: the working one, unless a fault was asked for."""
        if self.faulty_management is not None:
            return self.faulty_management.url
        return self.management.url if self.management is not None else ""

    def postgres_connection(self) -> psycopg2.extensions.connection:
        return psycopg2.connect(self.connection_url)

    def client(self, service: str) -> Any:
        return moto_client(service, self.moto.url, self.region)

    def resource(self, service: str) -> Any:
        return boto3.resource(service, region_name=self.region, endpoint_url=self.moto.url, **MOTO_CREDENTIALS)

    @property
    def table_names(self) -> list[str]:
        return [definition.name for definition in table_definitions(self.template)]


def _table_of_stream(stream_arn: str) -> str:
    """The table of a stream ARN (``arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>``)."""
    return stream_arn.split(":table/", 1)[1].split("/", 1)[0]
