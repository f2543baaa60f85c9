"""Runs the template's functions in-process, the way the Lambda runtime would: handler module, env, context."""

import importlib.util
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from local.template import PROJECT_ROOT, FunctionSpec, Template

LAYER_DIR = PROJECT_ROOT / "layers" / "messaging"
type Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that Powertools and our handlers read."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    remaining_millis: int = 10_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


class LocalFunctions:
    """The template's functions, loaded once, invoked with their template environment plus local overrides."""

    def __init__(self, template: Template, environment: dict[str, str]) -> None:
        self.template = template
        self.environment = environment
        self._handlers: dict[str, Handler] = {}
        if str(LAYER_DIR) not in sys.path:
            sys.path.insert(0, str(LAYER_DIR))  # where the layer sits in Lambda: /opt/python

    def spec(self, logical_id: str) -> FunctionSpec:
        return self.template.functions[logical_id]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        spec = self.spec(logical_id)
        with self._function_environment(spec):
            handler = self._handler(spec)
            return handler(event, LambdaContext(function_name=logical_id, aws_request_id=str(uuid.uuid4())))

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

    @contextmanager
    def _function_environment(self, spec: FunctionSpec) -> Iterator[None]:
        wanted = {**spec.environment, "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id, **self.environment}
        saved = {name: os.environ.get(name) for name in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
