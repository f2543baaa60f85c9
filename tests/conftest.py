"""Shared fixtures: one local stack (moto server + PostgreSQL) per test session, and users made per test; the
suite's markers, given by directory; and, in CI, no skip that a test did not declare (tests/ci_skip_guard.py)."""

import io
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from xdist.scheduler import LoadGroupScheduling

from local.stack import EmulatedStack
from messaging.core.config import settings
from tests.api_client import ApiClient
from tooling.ports import free_port

pytest_plugins = ["tests.ci_skip_guard"]

TEST_POOL = {"UserPoolId": "us-east-1_testpool", "UserPoolClientId": "testclient"}
# The integration suite's stack lets one user send fast: its tests of paging, unread counts and races post
# hundreds of messages in a row. The limits themselves are proven with the template's defaults (make dev's stack,
# tests/e2e/test_limits.py) and, in tests/integration/test_rate_limits.py, with limits each test sets.
UNLIMITED_SENDS = {"SendRateLimit": "1000", "SendBurstLimit": "10000"}
# The integration suite's stack delivers through the stream's push alone, whose frames its tests count exactly;
# a test of the direct push turns it on (function_environment(DIRECT_PUSH_BUDGET_MS=...)), as the e2e tests do.
STREAM_PUSH_ONLY = {"DirectPushBudgetMs": "0"}
TESTS_DIR = Path(__file__).resolve().parent
SUITES = ("unit", "integration", "e2e")  # each a directory of tests/ and a marker (pyproject.toml)


def suite_markers(path: Path) -> list[str]:
    """The markers a test file gets from where it is: its suite, and ``browser`` for tests/e2e/test_web_*.py."""
    path = path.resolve()
    if not path.is_relative_to(TESTS_DIR):
        return []
    parts = path.relative_to(TESTS_DIR).parts
    markers = [parts[0]] if len(parts) > 1 and parts[0] in SUITES else []
    if parts[:1] == ("e2e",) and path.match("test_web_*.py"):
        markers.append("browser")
    return markers


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m selection, which reads them
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for name in suite_markers(item.path):
            if item.get_closest_marker(name) is None:
                item.add_marker(name)


# Modules whose module-scoped fixtures start something costly of their own: a `make dev` stack with other
# parameters, or the deploy rehearsal (sam build, package and deploy on two moto servers).
ONE_WORKER_MODULES = frozenset(
    f"tests/e2e/{name}.py"
    for name in (
        "test_deploy_rehearsal",
        "test_direct_push",
        "test_operator_scripts",
        "test_original_frontend",
        "test_send_limit",
        "test_web_edits",
    )
)


class OneWorkerModules(LoadGroupScheduling):
    """`make test`'s scheduling (``-n N --dist loadgroup``, N from TEST_WORKERS): every test goes, one at a time,
    to whichever worker is free, except that each of ONE_WORKER_MODULES runs whole on one worker, so its fixtures
    start once.

    Chosen by path, because the controller that schedules never collects, and xdist_group marks cannot do it:
    pytest-xdist 3.8 groups by renaming node ids through an attribute that pytest 9.2 no longer reads.
    """

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.partition("::")[0]
        return module if module in ONE_WORKER_MODULES else super()._split_scope(nodeid)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadGroupScheduling | None:
    return OneWorkerModules(config, log) if config.getvalue("dist") == "loadgroup" else None


def pytest_configure(config: pytest.Config) -> None:
    # pgserver running as root makes a `pgserver` system user the first time, unlocked: xdist workers starting
    # their PostgreSQL at once on a fresh machine would race to `useradd` it. The controller makes it first.
    if not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None) and os.geteuid() == 0:
        from pgserver.utils import ensure_user_exists  # noqa: PLC0415 - only for xdist runs as root

        ensure_user_exists("pgserver")


type SetEnvironment = Callable[..., None]


@pytest.fixture
def function_environment() -> Iterator[SetEnvironment]:
    """Changes the functions' environment for one test: ``function_environment(SEND_RATE_LIMIT="2")``, a value of
    None unsets the variable. A function reads its settings once per container (core/config.py), so they are
    read anew after each change and again once the test's values are undone."""
    with pytest.MonkeyPatch.context() as patch:

        def set_(**variables: str | None) -> None:
            for name, value in variables.items():
                if value is None:
                    patch.delenv(name, raising=False)
                else:
                    patch.setenv(name, value)
            settings.cache_clear()

        yield set_
    settings.cache_clear()


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # not a test class, whatever its name

    uuid: str
    handle: str
    display_name: str
    sub: str  # the Cognito identity the JWT authorizer would have verified


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatedStack]:
    # CONNECTION_URL points the tests at a PostgreSQL of your own; otherwise an embedded one is started.
    local = EmulatedStack(
        moto_port=free_port(),
        state_dir=Path(tmp_path_factory.mktemp("stack")),
        connection_url=os.environ.get("CONNECTION_URL"),
        parameter_overrides={**TEST_POOL, **UNLIMITED_SENDS, **STREAM_PUSH_ONLY},
    )
    local.start()
    yield local
    local.stop()


@pytest.fixture
def database(stack: EmulatedStack) -> Iterator[psycopg2.extensions.connection]:
    # Per test: a fault test may restart PostgreSQL under the session.
    connection = psycopg2.connect(stack.connection_url)
    connection.autocommit = True
    yield connection
    connection.close()


@pytest.fixture
def new_user(database: psycopg2.extensions.connection) -> Callable[..., TestUser]:
    """Makes users of our own per test, so tests never share a conversation by accident."""

    def make(display_name: str = "Test User", *, registered: bool = True) -> TestUser:
        handle = f"user_{uuid.uuid4().hex[:12]}"
        sub = str(uuid.uuid4())
        with database.cursor() as cursor:
            cursor.execute(
                "INSERT INTO users (display_name, handle, email, cognito_user_id) VALUES (%s, %s, %s, %s)"
                " RETURNING uuid::text",
                (display_name, handle, f"{handle}@test.example", sub if registered else None),
            )
            (user_uuid,) = cursor.fetchone()
        return TestUser(user_uuid, handle, display_name, sub)

    return make


@pytest.fixture
def api(stack: EmulatedStack) -> ApiClient:
    return ApiClient(stack)


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the functions log, as CloudWatch would receive it (the Powertools handler's stream)."""
    from messaging.core.observability import logger  # noqa: PLC0415 - only the tests that read the logs load it

    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)
    yield buffer
    logger.registered_handler.setStream(previous)
