"""What `make dev` wrote about the running local stack (.local/stack.json, or $CRUDDUR_LOCAL_STATE/stack.json)."""

import json
import os
from pathlib import Path
from typing import Any

from local.template import PROJECT_ROOT


class StackNotRunning(Exception):
    pass


def state_path() -> Path:
    return Path(os.environ.get("CRUDDUR_LOCAL_STATE", PROJECT_ROOT / ".local")) / "stack.json"


def local_stack_state() -> dict[str, Any]:
    try:
        return json.loads(state_path().read_text())
    except FileNotFoundError:
        raise StackNotRunning("the local stack is not running: start it with 'make dev'") from None
