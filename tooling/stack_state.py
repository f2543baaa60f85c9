"""What `make dev` records about the running local stack: ``stack.json`` in its state directory.

`make dev` writes it once the stack serves and removes it when the stack stops; the operator scripts read it to
find the stack (``$CRUDDUR_LOCAL_STATE`` names another state directory, as the tests' stacks have).
"""

import json
import os
from pathlib import Path
from typing import Any

from tooling.paths import LOCAL_STATE_DIR

STATE_FILE = "stack.json"


class StackNotRunning(Exception):
    pass


def state_path(state_dir: Path | None = None) -> Path:
    if state_dir is None:
        state_dir = Path(os.environ.get("CRUDDUR_LOCAL_STATE", LOCAL_STATE_DIR))
    return state_dir / STATE_FILE


def local_stack_state(state_dir: Path | None = None) -> dict[str, Any]:
    try:
        return json.loads(state_path(state_dir).read_text())
    except FileNotFoundError:
        raise StackNotRunning("the local stack is not running: start it with 'make dev'") from None


def write_stack_state(state_dir: Path, state: dict[str, Any]) -> None:
    path = state_path(state_dir)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(state, indent=2))
    os.replace(partial, path)  # a reader polling for the file never sees half of it


def remove_stack_state(state_dir: Path) -> None:
    state_path(state_dir).unlink(missing_ok=True)
