"""Runs the template's functions in-process, the way the Lambda runtime would: handler module, env, context.

One invocation at a time, across all functions (``LocalFunctions.invocation_lock``), and that must stay: in AWS
each function has containers of its own, here they share one process and so one copy of the layer's
per-container state: the Powertools logger (whose keys, function name and request id, each invocation sets on
entry), its metrics set, the cached PostgreSQL connection, ``AWS_LAMBDA_FUNCTION_NAME``. Run two at once and one
function's log lines carry the other's name (tests/integration/test_invocation_lock.py shows it). What made the
lock costly was a function waiting on a client inside it: the push function's posts now return at once (the
WebSocket gateway queues them per connection), so no client's socket holds the lock. The snapshot of
``make dev`` and the stream pollers take the lock too: while they hold it no handler runs.
"""

import importlib.util
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tooling.template import FunctionSpec, Template

type Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that Powertools and our handlers read.

    The remaining time counts down from the function's timeout, as Lambda's does: what a handler budgets by it
    (the push's deadline, an idempotency claim) is then what it would be in AWS.
    """

    function_name: str
    aws_request_id: str
    timeout_seconds: float
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_seconds - time.monotonic()) * 1000))


class LocalFunctions:
    """The template's functions, loaded once and invoked one at a time, like one warm container each.

    They run in this process, which is therefore given their environment: the template's (the same for every
    function: they share Globals) with the local stack's overrides on top.
    """

    def __init__(self, template: Template, overrides: dict[str, str]) -> None:
        self.template = template
        self._handlers: dict[str, Handler] = {}
        # Layer modules hold per-container state (clients, connection, metrics): one invocation at a time.
        # Re-entrant, so that a caller holding it to freeze the tables (a snapshot) can still drain the stream.
        self.invocation_lock = threading.RLock()
        # Called after every invocation, once its writes are done (the stream pollers' wake-up).
        self.after_invocation: list[Callable[[], None]] = []
        environment: dict[str, str] = {}
        for spec in template.functions.values():
            for name, value in spec.environment.items():
                if environment.setdefault(name, value) != value:
                    raise RuntimeError(f"functions disagree on {name}; the in-process runner cannot host both")
        os.environ.update({**environment, **overrides})

    def spec(self, logical_id: str) -> FunctionSpec:
        return self.template.functions[logical_id]

    def invoke(self, logical_id: str, event: dict[str, Any], *, timeout_seconds: float | None = None) -> Any:
        """Runs the function on ``event``; ``timeout_seconds`` stands in for the template's Timeout (its clock
        starts once the invocation does, not while it waits for the lock)."""
        spec = self.spec(logical_id)
        with self.invocation_lock:
            context = LambdaContext(
                function_name=logical_id,
                aws_request_id=str(uuid.uuid4()),
                timeout_seconds=spec.timeout_seconds if timeout_seconds is None else timeout_seconds,
            )
            os.environ["AWS_LAMBDA_FUNCTION_NAME"] = logical_id
            try:
                return self._handler(spec)(event, context)
            finally:
                for listener in self.after_invocation:
                    listener()

    def _handler(self, spec: FunctionSpec) -> Handler:
        if spec.logical_id not in self._handlers:
            module_name, function_name = spec.handler.rsplit(".", 1)
            path = spec.code_dir / f"{module_name.replace('.', '/')}.py"
            module_spec = importlib.util.spec_from_file_location(f"cruddur_function_{spec.logical_id}", path)
            if module_spec is None or module_spec.loader is None:
                raise RuntimeError(f"cannot load {path}")
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
            self._handlers[spec.logical_id] = getattr(module, function_name)
        return self._handlers[spec.logical_id]
