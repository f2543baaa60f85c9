"""make test's pytest-xdist scheduling (tests/conftest.py): tests one at a time, ONE_WORKER_MODULES whole."""

import ast

import pytest
from xdist.scheduler import LoadGroupScheduling

from tests.conftest import ONE_WORKER_MODULES, OneWorkerModules, pytest_xdist_make_scheduler
from tooling.paths import PROJECT_ROOT


@pytest.fixture
def xdist_config(pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch) -> pytest.Config:
    """This run's configuration as a controller of two workers sees it (a scheduler counts the workers)."""
    monkeypatch.setattr(pytestconfig.option, "tx", ["2*popen"], raising=False)  # what `-n 2` becomes
    return pytestconfig


@pytest.fixture
def scheduler(xdist_config: pytest.Config) -> OneWorkerModules:
    return OneWorkerModules(xdist_config)


def test_a_listed_module_is_one_unit_of_work_and_any_other_test_its_own(scheduler: OneWorkerModules) -> None:
    rehearsal = "tests/e2e/test_deploy_rehearsal.py"
    assert rehearsal in ONE_WORKER_MODULES
    for test in ("test_sam_deploy_creates_the_stack", "test_queue_as_declared[DeadLetterQueue]"):
        assert scheduler._split_scope(f"{rehearsal}::{test}") == rehearsal
    for other in ("tests/e2e/test_concurrency.py::test_many", "tests/unit/test_cursor.py::test_a[1]"):
        assert scheduler._split_scope(other) == other
    # xdist's own groups still hold, should its xdist_group marks work again.
    assert scheduler._split_scope("tests/unit/test_cursor.py::test_a@g") == "g"


@pytest.mark.parametrize("module", sorted(ONE_WORKER_MODULES))
def test_every_listed_module_exists_and_has_a_module_scoped_fixture_of_its_own(module: str) -> None:
    # A renamed module would silently lose its grouping; one without such a fixture has no reason to be listed.
    path = PROJECT_ROOT / module
    assert path.is_file(), module
    tree = ast.parse(path.read_text())
    scopes = [
        keyword.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "pytest.fixture"
        for keyword in node.keywords
        if keyword.arg == "scope" and isinstance(keyword.value, ast.Constant)
    ]
    assert "module" in scopes, module


def test_the_scheduler_is_chosen_for_loadgroup_only(
    xdist_config: pytest.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xdist_config.option, "dist", "loadgroup", raising=False)
    assert isinstance(pytest_xdist_make_scheduler(xdist_config, None), OneWorkerModules)
    assert issubclass(OneWorkerModules, LoadGroupScheduling)
    monkeypatch.setattr(xdist_config.option, "dist", "load")
    assert pytest_xdist_make_scheduler(xdist_config, None) is None
