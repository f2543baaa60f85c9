"""`make dev`'s stack, started as a user would (python -m local.dev) on free ports, driven only over HTTP."""

from collections.abc import Iterator

import pytest

from tests.dev_process import DevStack, start_dev_stack


@pytest.fixture(scope="session")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = start_dev_stack(tmp_path_factory.mktemp("dev"))
    yield stack
    stack.stop()
