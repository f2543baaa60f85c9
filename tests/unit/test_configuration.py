"""Each function's environment is required at its cold start (core/config.py, through core/entry.py).

A function's cold start here is what Lambda's is: its app.py imported with its template environment. What the
template gives a function must be what its code asks for: without any one variable of its row below, the cold
start fails with a ConfigurationError naming that variable (never a default, nor a client's 401 on the first
request); without any other variable, it starts. Values are typed and checked, and read once per container.
"""

import importlib.util
import itertools
from collections.abc import Iterator
from types import ModuleType

import pytest

from messaging.core.config import ConfigurationError, Need, settings
from tooling.template import FunctionSpec, Template

FUNCTIONS = Template(
    parameter_overrides={"UserPoolId": "us-east-1_testpool", "UserPoolClientId": "testclient"}
).functions

_PROFILES = {"MESSAGES_TABLE", "CONNECTION_URL_PARAMETER"}  # every HTTP route: the table, its callers' profiles
_SENDS = {"RATE_LIMITS_TABLE", "SEND_RATE_LIMIT", "SEND_BURST_LIMIT"}
_POOL = {"COGNITO_JWKS_URL", "COGNITO_ISSUER", "COGNITO_CLIENT_ID"}
# C and D's direct push: the connections, the stage's endpoint under its own name, the budget.
_DIRECT_PUSH = {"CONNECTIONS_TABLE", "DIRECT_PUSH_MANAGEMENT_URL", "DIRECT_PUSH_BUDGET_MS"}

# What each function's cold start requires of its template environment. A new function declares its row.
REQUIRES: dict[str, set[str]] = {
    "ListMessagesFunction": _PROFILES,
    "ListMessageGroupsFunction": _PROFILES,
    "CreateMessageFunction": _PROFILES | {"IDEMPOTENCY_TABLE", "MESSAGE_REQUEST_LIMIT"} | _SENDS | _DIRECT_PUSH,
    "CreateMessageGroupFunction": _PROFILES | {"IDEMPOTENCY_TABLE", "MESSAGE_REQUEST_LIMIT"} | _SENDS | _DIRECT_PUSH,
    "MarkReadFunction": _PROFILES | _SENDS,
    "EditMessageFunction": _PROFILES | _SENDS | {"MESSAGE_EDIT_WINDOW_SECONDS"},
    "DeleteMessageFunction": _PROFILES | _SENDS,
    "BlockUserFunction": _PROFILES | _SENDS,
    "UnblockUserFunction": _PROFILES | _SENDS,
    "ListBlocksFunction": _PROFILES,
    "GetSettingsFunction": _PROFILES,
    "PutSettingsFunction": _PROFILES | _SENDS,
    "MuteMessageGroupFunction": _PROFILES | _SENDS,
    "AcceptMessageGroupFunction": _PROFILES | _SENDS,
    "ReportMessageFunction": _PROFILES | _SENDS | {"REPORTS_TABLE"},
    "MessageStreamFunction": {"MESSAGES_TABLE"},
    "MessagePushFunction": {"CONNECTIONS_TABLE", "WEBSOCKET_MANAGEMENT_URL", "MESSAGES_TABLE"},
    # Checks tokens itself: without its pool it must not start (it would refuse every connection as a 401).
    "WebSocketAuthorizerFunction": _POOL,
    "WebSocketConnectFunction": {
        "CONNECTION_URL_PARAMETER",
        "CONNECTIONS_TABLE",
        "MAX_CONNECTIONS_PER_USER",
        "WEBSOCKET_MANAGEMENT_URL",
    },
    "WebSocketDisconnectFunction": {"CONNECTIONS_TABLE"},
    "WebSocketDefaultFunction": {"RATE_LIMITS_TABLE", "WEBSOCKET_MANAGEMENT_URL"},
    # $default's needs, and the caller's connection, the group items and the other member's connections.
    "WebSocketTypingFunction": {"RATE_LIMITS_TABLE", "WEBSOCKET_MANAGEMENT_URL", "CONNECTIONS_TABLE", "MESSAGES_TABLE"},
}
HTTP_FUNCTIONS = sorted(name for name, spec in FUNCTIONS.items() if spec.http_routes)
# Whatever any function is given, and what SAM CLI adds: none may leak from this process into a cold start.
EVERY_VARIABLE = sorted({name for spec in FUNCTIONS.values() for name in spec.environment} | {"AWS_SAM_LOCAL"})
_loaded = itertools.count()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in EVERY_VARIABLE:
        monkeypatch.delenv(name, raising=False)
    settings.cache_clear()
    yield monkeypatch
    settings.cache_clear()


def cold_start(spec: FunctionSpec, monkeypatch: pytest.MonkeyPatch, **changes: str | None) -> ModuleType:
    """Imports the function's handler module afresh, as a new container would, in its template environment
    with ``changes`` (None: the variable is unset)."""
    for name, value in {**spec.environment, **changes}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    settings.cache_clear()  # a new container reads its environment anew
    path = spec.code_dir / f"{spec.handler.rsplit('.', 1)[0]}.py"
    module_spec = importlib.util.spec_from_file_location(f"cold_{spec.logical_id}_{next(_loaded)}", path)
    assert module_spec is not None
    assert module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def test_every_function_declares_what_its_cold_start_requires() -> None:
    assert sorted(set(FUNCTIONS) ^ set(REQUIRES)) == []


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_a_function_starts_with_its_template_environment(logical_id: str, environment: pytest.MonkeyPatch) -> None:
    assert callable(cold_start(FUNCTIONS[logical_id], environment).lambda_handler)


@pytest.mark.parametrize(
    ("logical_id", "variable"),
    [(logical_id, name) for logical_id, spec in sorted(FUNCTIONS.items()) for name in sorted(spec.environment)],
)
def test_a_function_s_cold_start_fails_without_what_it_requires_and_only_that(
    logical_id: str, variable: str, environment: pytest.MonkeyPatch
) -> None:
    spec = FUNCTIONS[logical_id]
    if variable not in REQUIRES[logical_id]:
        assert callable(cold_start(spec, environment, **{variable: None}).lambda_handler)
        return
    with pytest.raises(ConfigurationError, match=variable):
        cold_start(spec, environment, **{variable: None})
    # An empty value is no value: the template declares some empty for `sam local --env-vars` to fill.
    with pytest.raises(ConfigurationError, match=variable):
        cold_start(spec, environment, **{variable: ""})


@pytest.mark.parametrize("logical_id", HTTP_FUNCTIONS)
def test_under_sam_local_an_http_function_without_its_pool_fails_its_cold_start_rather_than_answering_401(
    logical_id: str, environment: pytest.MonkeyPatch
) -> None:
    # SAM CLI emulates no JWT authorizer, so there the function checks tokens itself, with the pool it is given.
    with pytest.raises(ConfigurationError, match="COGNITO_ISSUER"):
        cold_start(FUNCTIONS[logical_id], environment, AWS_SAM_LOCAL="true", COGNITO_ISSUER=None)
    assert callable(cold_start(FUNCTIONS[logical_id], environment, AWS_SAM_LOCAL="true").lambda_handler)


def test_one_error_names_everything_missing(environment: pytest.MonkeyPatch) -> None:
    spec = FUNCTIONS["CreateMessageFunction"]
    with pytest.raises(ConfigurationError) as raised:
        cold_start(spec, environment, IDEMPOTENCY_TABLE=None, SEND_BURST_LIMIT="lots", CONNECTION_URL_PARAMETER=None)
    assert all(name in str(raised.value) for name in ("IDEMPOTENCY_TABLE", "SEND_BURST_LIMIT", "CONNECTION_URL"))


@pytest.mark.parametrize("value", ["0", "-1", "ten", "nan", "inf", " "])
def test_a_limit_must_be_a_positive_number(value: str, environment: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match=f"SEND_RATE_LIMIT must be a positive number, not '{value}'"):
        cold_start(FUNCTIONS["MarkReadFunction"], environment, SEND_RATE_LIMIT=value)
    with pytest.raises(ConfigurationError, match="MAX_CONNECTIONS_PER_USER must be a positive number"):
        cold_start(FUNCTIONS["WebSocketConnectFunction"], environment, MAX_CONNECTIONS_PER_USER=value)


def test_values_are_typed(environment: pytest.MonkeyPatch) -> None:
    cold_start(
        FUNCTIONS["WebSocketConnectFunction"],
        environment,
        COGNITO_CLIENT_ID="web,mobile",
        COGNITO_SCOPES="aws.cognito.signin.user.admin  openid",
        CONNECTION_URL="",
        MAX_CONNECTIONS_PER_USER="7",
        SEND_RATE_LIMIT="2.5",
        SEND_BURST_LIMIT="12",
    )
    config = settings()
    assert (config.cognito.client_ids, config.cognito.scopes) == (
        ("web", "mobile"),
        ("aws.cognito.signin.user.admin", "openid"),
    )
    assert (config.max_connections_per_user, config.send_rate_limit, config.send_burst_limit) == (7, 2.5, 12)
    assert config.postgres.connection_url is None  # empty: the URL comes from the parameter
    assert (
        config.postgres.connection_url_parameter
        == FUNCTIONS["WebSocketConnectFunction"].environment["CONNECTION_URL_PARAMETER"]
    )
    assert (config.sam_local, config.metrics_namespace) == (False, "CruddurMessages")


@pytest.mark.parametrize(("value", "seconds"), [("150", 0.15), ("0", 0.0), ("12.5", 0.0125)])
def test_the_direct_push_budget_is_milliseconds_and_zero_turns_it_off(
    value: str, seconds: float, environment: pytest.MonkeyPatch
) -> None:
    cold_start(FUNCTIONS["CreateMessageFunction"], environment, DIRECT_PUSH_BUDGET_MS=value)
    assert settings().direct_push_budget_seconds == seconds


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_a_direct_push_budget_below_zero_or_not_a_number_fails_the_cold_start(
    value: str, environment: pytest.MonkeyPatch
) -> None:
    refusal = f"DIRECT_PUSH_BUDGET_MS must be a number of at least 0, not '{value}'"
    with pytest.raises(ConfigurationError, match=refusal):
        cold_start(FUNCTIONS["CreateMessageGroupFunction"], environment, DIRECT_PUSH_BUDGET_MS=value)


@pytest.mark.parametrize(("value", "sam_local"), [("true", True), ("TRUE", False), ("1", False), ("", False)])
def test_only_sam_cli_s_own_flag_means_sam_local(value: str, sam_local: bool, environment: pytest.MonkeyPatch) -> None:
    environment.setenv("AWS_SAM_LOCAL", value)
    assert settings().sam_local is sam_local


def test_a_warm_container_keeps_what_it_read_until_its_settings_are_read_anew(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("SEND_RATE_LIMIT", "5")
    assert settings().send_rate_limit == 5
    environment.setenv("SEND_RATE_LIMIT", "7")
    assert settings().send_rate_limit == 5  # read once per container, not on every access
    settings.cache_clear()
    assert settings().send_rate_limit == 7


def test_what_a_function_never_needs_is_never_required(environment: pytest.MonkeyPatch) -> None:
    settings().require([])
    with pytest.raises(ConfigurationError, match="the connections table: the environment variable CONNECTIONS_TABLE"):
        settings().require([Need.CONNECTIONS])
