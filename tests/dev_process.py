"""`make dev`'s stack as a child process on free ports: what the end-to-end tests and the soak run drive."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.cognito import LOCAL_PASSWORD, UserPool, access_token
from tooling.consistency import problems_once_drained
from tooling.moto_clients import moto_client
from tooling.paths import PROJECT_ROOT
from tooling.ports import free_ports, port_in_use
from tooling.stack_state import local_stack_state, state_path


@dataclass
class DevStack:
    process: subprocess.Popen[bytes]
    state_dir: Path
    state: dict[str, Any]
    log_path: Path

    @property
    def api_url(self) -> str:
        return self.state["api_url"]

    @property
    def websocket_url(self) -> str:
        return self.state["websocket_url"]

    @property
    def pool(self) -> UserPool:
        return UserPool(self.state["region"], self.state["user_pool_id"], self.state["user_pool_client_id"])

    def client(self, service: str) -> Any:
        return moto_client(service, self.state["aws_endpoint_url"], self.state["region"])

    def consistency_problems(self, timeout: float) -> list[str]:
        """What is inconsistent in the messages table once the stream poller has caught up (empty: nothing)."""
        return problems_once_drained(self.client("dynamodb"), self.state["messages_table"], timeout)

    def cognito(self) -> Any:
        return self.client("cognito-idp")

    def tokens(self, username: str, password: str = LOCAL_PASSWORD) -> dict[str, str]:
        return access_token(self.cognito(), self.pool, username, password)

    def token(self, username: str) -> str:
        return self.tokens(username)["AccessToken"]

    def stop(self) -> int:
        """Ctrl-C, as a person at the terminal would: SIGINT to the whole process group; returns the exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                return self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise
        return self.process.returncode


def start_dev_stack(state_dir: Path, timeout: float = 90.0, extra_args: tuple[str, ...] = ()) -> DevStack:
    api_port, moto_port, ws_port, postgres_port = free_ports(4)
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "dev.log"
    env = {k: v for k, v in os.environ.items() if k != "CONNECTION_URL"}
    process = subprocess.Popen(  # noqa: S603 - our own module
        [
            sys.executable,
            "-m",
            "local.dev",
            "--api-port",
            str(api_port),
            "--moto-port",
            str(moto_port),
            "--ws-port",
            str(ws_port),
            "--postgres-port",
            str(postgres_port),
            "--state-dir",
            str(state_dir),
            *extra_args,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a process group of its own, as a shell gives a foreground job
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"make dev exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        if state_path(state_dir).exists() and port_in_use(api_port):
            return DevStack(process, state_dir, local_stack_state(state_dir), log_path)
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"make dev did not come up in {timeout:.0f} s:\n{log_path.read_text()[-4000:]}")
