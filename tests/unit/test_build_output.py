"""What `sam build` (run by `make test` before pytest) ships: the layer carries the package and its named SQL."""

import pytest

from tooling.paths import PROJECT_ROOT

BUILD = PROJECT_ROOT / ".aws-sam" / "build"
pytestmark = pytest.mark.skipif(not BUILD.is_dir(), reason="no sam build output (make test builds first)")


def test_the_layer_ships_the_package_with_its_named_queries() -> None:
    shipped = BUILD / "MessagingLayer" / "python" / "messaging"
    sources = PROJECT_ROOT / "layers" / "messaging" / "messaging"
    assert sorted(p.name for p in (shipped / "people" / "sql").glob("*.sql")) == sorted(
        p.name for p in (sources / "people" / "sql").glob("*.sql")
    )
    assert (shipped / "api" / "handler.py").is_file()
    assert (BUILD / "MessagingLayer" / "python" / "msgspec").is_dir()


def test_each_function_ships_only_its_handler() -> None:
    for name in (
        "ListMessagesFunction",
        "ListMessageGroupsFunction",
        "CreateMessageFunction",
        "CreateMessageGroupFunction",
        "MessageStreamFunction",
    ):
        assert sorted(p.name for p in (BUILD / name).iterdir() if p.name != "__pycache__") == ["app.py"]
