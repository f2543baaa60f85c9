"""The local stack assembled: servers, schema and tables, the template's functions and the stream poller.

``make dev`` and the integration tests start this same object, on fixed or free ports.
"""

import json
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Self

import boto3
import psycopg2
import psycopg2.extensions

from local.lambdas import LocalFunctions
from local.servers import EmbeddedPostgres, MotoServer
from local.stream_poller import StreamPoller
from local.tcp_forwarder import TcpToUnixForwarder
from tooling.moto_clients import MOTO_CREDENTIALS, moto_client
from tooling.paths import SCHEMA_SQL, SEED_SQL
from tooling.postgres_admin import LOCAL_DATABASE, create_database, run_sql_files, with_database
from tooling.tables import ensure_table, table_definitions
from tooling.template import Template

STREAM_FUNCTION = "MessageStreamFunction"
DEAD_LETTER_QUEUE = "MessageStreamDLQ"  # the template's logical id


class LocalStack:
    # Pool parameters for stacks whose tokens are not checked (in-process tests and benchmarks).
    BENCH_POOL: ClassVar[dict[str, str]] = {"UserPoolId": "us-east-1_local", "UserPoolClientId": "local"}

    @staticmethod
    def template_only() -> Template:
        return Template(parameter_overrides=LocalStack.BENCH_POOL)

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
        self.stream: StreamPoller

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
            run_sql_files(self.connection_url, SCHEMA_SQL, SEED_SQL)
            self.functions = LocalFunctions(self.template, self.environment)
            for definition in table_definitions(self.template):
                ensure_table(self.client("dynamodb"), definition)
            self.stream = StreamPoller(
                self.functions,
                self.client("dynamodb"),
                self.client("dynamodbstreams"),
                STREAM_FUNCTION,
                self.template.table_name("MessagesTable"),
                on_failure=self._send_to_dead_letter_queue,
            )
        except BaseException:
            self.stop()
            raise
        return self

    @cached_property
    def dead_letter_queue_url(self) -> str:
        """The template's stream on-failure queue, created on first use (SQS has no TableName-like property)."""
        return self.client("sqs").create_queue(QueueName=DEAD_LETTER_QUEUE)["QueueUrl"]

    def _send_to_dead_letter_queue(self, notice: dict[str, Any]) -> None:
        self.client("sqs").send_message(QueueUrl=self.dead_letter_queue_url, MessageBody=json.dumps(notice))

    @property
    def postgres_tcp_url(self) -> str | None:
        if self._postgres_tcp is None:
            return None
        return f"postgresql://postgres@{self.host}:{self.postgres_tcp_port}/{LOCAL_DATABASE}"

    def stop(self) -> None:
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
        }

    def postgres_connection(self) -> psycopg2.extensions.connection:
        return psycopg2.connect(self.connection_url)

    def client(self, service: str) -> Any:
        return moto_client(service, self.moto.url, self.region)

    def resource(self, service: str) -> Any:
        return boto3.resource(service, region_name=self.region, endpoint_url=self.moto.url, **MOTO_CREDENTIALS)

    @property
    def table_names(self) -> list[str]:
        return [definition.name for definition in table_definitions(self.template)]
