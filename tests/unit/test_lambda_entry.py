"""The one Lambda entry wrapper (core/entry.py), through each kind of handler the functions use, on the sample
events of events/: the function's needs are required before any invocation; each log line carries the invocation's
request id, and the correlation id where the kind's event has one (never the previous invocation's); metrics are
flushed even when the invocation fails; and an error becomes the kind's answer, or stays Lambda's."""

import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from aws_lambda_powertools.metrics import MetricUnit

from messaging.activity.stream_handler import stream_handler
from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.core.config import ConfigurationError, Need, settings
from messaging.core.entry import Kind, lambda_entry
from messaging.core.observability import logger, metrics
from messaging.realtime.authorizer import Unauthorized, authorizer_handler
from messaging.realtime.event import WebSocketRequest
from messaging.realtime.reply import WebSocketReply
from messaging.realtime.routes import websocket_handler
from tooling.paths import PROJECT_ROOT

EVENTS = PROJECT_ROOT / "events"


class Context:
    function_name = "AnyFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AnyFunction"

    def __init__(self, request_id: str = "lambda-request-1") -> None:
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the kinds below require: the HTTP routes' table and PostgreSQL, the authorizer's pool."""
    for name, value in {
        "MESSAGES_TABLE": "cruddur-messages",
        "CONNECTION_URL_PARAMETER": "/cruddur-messages/connection-url",
        "COGNITO_JWKS_URL": "http://127.0.0.1:9/jwks.json",  # never fetched: the tokens below are not JWTs
        "COGNITO_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_testpool",
        "COGNITO_CLIENT_ID": "testclient",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    settings.cache_clear()
    yield
    settings.cache_clear()


def lines_of(output: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def test_an_http_route_logs_with_the_api_s_request_id_and_answers_an_unexpected_error_500(
    log_output: io.StringIO,
) -> None:
    event = sample("list_messages")

    def endpoint(request: HttpRequest) -> HttpResponse:
        logger.info("inside the endpoint")
        raise RuntimeError("a bug")

    answer = http_handler(endpoint)(event, Context())

    assert answer["statusCode"] == 500
    assert json.loads(answer["body"])["error"] == "internal_error"
    lines = lines_of(log_output)
    assert {line["message"] for line in lines} >= {"inside the endpoint", "unhandled error", "request served"}
    assert {line["correlation_id"] for line in lines} == {event["requestContext"]["requestId"]}
    assert {line["function_request_id"] for line in lines} == {"lambda-request-1"}
    (served,) = [line for line in lines if line["message"] == "request served"]
    assert (served["route"], served["status"]) == (event["routeKey"], 500)


def test_a_websocket_route_logs_with_the_connection_s_request_id_and_answers_an_error_frame(
    log_output: io.StringIO,
) -> None:
    event = sample("websocket_default")

    def route(request: WebSocketRequest) -> WebSocketReply:
        raise RuntimeError("a bug")

    answer = websocket_handler(route)(event, Context())

    assert answer["statusCode"] == 500
    assert json.loads(answer["body"])["type"] == "error"
    lines = lines_of(log_output)
    assert {line["correlation_id"] for line in lines} == {event["requestContext"]["requestId"]}
    (served,) = [line for line in lines if line["message"] == "websocket route served"]
    assert (served["connection"], served["status"]) == (event["requestContext"]["connectionId"], 500)


def test_the_authorizer_refuses_by_raising_unauthorized_and_logs_with_the_request_id(
    log_output: io.StringIO,
) -> None:
    event = {**sample("websocket_authorizer"), "queryStringParameters": {"token": "not-a-token"}}

    with pytest.raises(Unauthorized):  # API Gateway answers it 401 at the upgrade
        authorizer_handler()(event, Context())

    (refused,) = [line for line in lines_of(log_output) if line["message"] == "connection refused"]
    assert refused["correlation_id"] == event["requestContext"]["requestId"]


def test_the_authorizer_does_not_start_without_its_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COGNITO_JWKS_URL")
    settings.cache_clear()
    with pytest.raises(ConfigurationError, match="COGNITO_JWKS_URL"):
        authorizer_handler()


def test_a_stream_batch_s_lines_carry_no_correlation_id_of_an_earlier_invocation_and_its_failure_is_lambda_s(
    log_output: io.StringIO,
) -> None:
    http_handler(lambda request: HttpResponse.json(200, {}))(sample("list_messages"), Context("http-1"))

    def apply(sent: object, changed: object) -> Mapping[str, Mapping[str, BaseException]]:
        logger.info("applying")
        raise RuntimeError("the table is gone")

    with pytest.raises(RuntimeError):  # Lambda retries the batch from its first record
        stream_handler(apply)(sample("message_stream"), Context("stream-1"))

    (applying,) = [line for line in lines_of(log_output) if line["message"] == "applying"]
    assert applying["function_request_id"] == "stream-1"
    assert applying.get("correlation_id") is None


def test_needs_are_required_before_any_invocation_and_metrics_are_flushed_even_when_it_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    kind = Kind(correlation_id_path=None)
    invoked: list[str] = []

    def serve(event: Mapping[str, Any], context: object) -> dict[str, Any]:
        invoked.append("serve")
        metrics.add_metric(name="EntryTestCount", unit=MetricUnit.Count, value=1)
        raise RuntimeError("after the metric")

    monkeypatch.delenv("CONNECTIONS_TABLE", raising=False)
    with pytest.raises(ConfigurationError, match="CONNECTIONS_TABLE"):
        lambda_entry(serve, kind, [Need.CONNECTIONS])
    assert invoked == []

    handler = lambda_entry(serve, kind, [Need.MESSAGES])
    with pytest.raises(RuntimeError):
        handler({}, Context())
    flushed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert [blob["EntryTestCount"] for blob in flushed] == [[1.0]]


def test_an_error_the_kind_answers_is_its_answer_and_the_served_line_sees_it() -> None:
    seen: list[dict[str, Any]] = []
    kind = Kind(
        correlation_id_path=None,
        answer_error=lambda error: {"statusCode": 503, "why": str(error)},
        served=lambda event, answer: seen.append(answer),
    )

    def serve(event: Mapping[str, Any], context: object) -> dict[str, Any]:
        raise RuntimeError("busy")

    assert lambda_entry(serve, kind)({}, Context()) == {"statusCode": 503, "why": "busy"}
    assert seen == [{"statusCode": 503, "why": "busy"}]


def test_no_function_logs_its_event_whatever_the_environment_says(
    monkeypatch: pytest.MonkeyPatch, log_output: io.StringIO
) -> None:
    # Events carry message texts; a deleted message's must stay in no log, even with Powertools' event logging on.
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    handler = http_handler(lambda request: HttpResponse.json(200, {}))
    event = sample("create_message")
    handler(event, Context("http-event"))
    assert json.loads(event["body"])["message"] not in log_output.getvalue()
