"""`make dev`'s stack, started as a user would (python -m local.dev) on free ports, driven only over HTTP."""

from collections.abc import Iterator

import pytest

from tests.dev_process import DevStack, start_dev_stack


# Package scope: stopped once a run (or an xdist worker, which gets tests/e2e first) moves on to other suites.
# Idle, a stack's two stream pollers still cost about 15% of a core, taken from the tests that run after.
@pytest.fixture(scope="package")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = start_dev_stack(tmp_path_factory.mktemp("dev"))
    yield stack
    stack.stop()
