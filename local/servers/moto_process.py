"""moto in server mode as a child process of the stack (its patched entry point: ``local/servers/moto_server.py``)."""

import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tooling.paths import PROJECT_ROOT
from tooling.ports import port_in_use

# moto's documented switch: pool and client ids hashed from their names and settings instead of random, so the
# local pool keeps its ids across restarts (tokens stay valid, env.local.json can name them).
_STABLE_COGNITO_IDS = {
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
    "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
}


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when its parent dies, even by SIGKILL, so no server outlives the stack."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class MotoServer:
    """``moto_server`` in a child process: DynamoDB, DynamoDB Streams and Cognito over real HTTP."""

    def __init__(self, port: int, host: str = "127.0.0.1", log_path: Path | None = None) -> None:
        self.host, self.port, self.log_path = host, port, log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, timeout: float = 30.0) -> "MotoServer":
        if port_in_use(self.port, self.host):
            raise RuntimeError(f"port {self.port} on {self.host} is already in use: stop what runs there first")
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            # moto with its unbounded memory growth fixed (see local/servers/moto_server.py).
            [sys.executable, "-m", "local.servers.moto_server", "-H", self.host, "-p", str(self.port)],
            cwd=PROJECT_ROOT,  # where ``-m local.servers.moto_server`` is found, whatever the caller's directory
            env={**os.environ, **_STABLE_COGNITO_IDS},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only sets a signal; no threads touched yet
            # Its own session: a terminal's Ctrl-C reaches the whole foreground process group, and moto must
            # outlive it long enough for make dev to save the tables on the way out (it stops moto itself).
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto server exited with code {self._process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):  # noqa: S310 - loopback
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto server did not answer on {self.url} within {timeout:.0f} s")

    def seed_random(self, seed: int) -> None:
        """Makes moto's random values (Cognito subs, token ids) repeat from here on, run after run."""
        request = urllib.request.Request(f"{self.url}/moto-api/seed?a={seed}", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - loopback
            pass

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None
