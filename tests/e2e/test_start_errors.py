"""`make dev` explains what stops it: a port already taken, one port given to two servers, no Python 3.12."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tooling.paths import PROJECT_ROOT
from tooling.ports import free_ports


def make_dev(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m local.dev` with ``args``, as far as it gets (these tests expect it to stop at once)."""
    return subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "local.dev", *args, "--state-dir", str(state_dir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_taken_port_is_named_in_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = make_dev(tmp_path, "--api-port", str(port))
    assert result.returncode == 1
    assert f"port {port} (API) on 127.0.0.1 is already in use" in result.stderr
    # What `make dev` users can act on: they cannot pass flags through make.
    assert f"make dev API_PORT={port + 1}" in result.stderr


def test_two_servers_given_one_port_are_named_in_one_clear_line(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    result = make_dev(tmp_path, "--api-port", str(port), "--moto-port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: the API and moto servers were both given port {port}; each needs its own: "
        "make dev MOTO_PORT=<another port>"
    )
    assert not (tmp_path / "stack.json").exists()  # nothing started, nothing announced


@pytest.mark.may_skip_in_ci(reason="a machine with a system-wide Python 3.12 cannot show its absence")
@pytest.mark.skipif(
    any(Path(p).exists() for p in ("/usr/local/bin/python3.12", "/usr/bin/python3.12")),
    reason="a system-wide Python 3.12 exists here",
)
def test_a_missing_python_312_is_explained(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(  # noqa: S603
        [str(PROJECT_ROOT / "scripts" / "find-python312")], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "Python 3.12 not found" in result.stderr
    assert "PYTHON312=" in result.stderr
