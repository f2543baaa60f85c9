"""What `make dev` wrote about the running local stack (.local/stack.json)."""

import json
from pathlib import Path
from typing import Any

from local.template import PROJECT_ROOT

STATE_PATH = PROJECT_ROOT / ".local" / "stack.json"


class StackNotRunning(Exception):
    pass


def local_stack_state(path: Path = STATE_PATH) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise StackNotRunning("the local stack is not running: start it with 'make dev'") from None
