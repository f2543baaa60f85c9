"""Loopback TCP ports: free ones to start servers on, and whether one is taken."""

import contextlib
import socket


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that are free now.

    Every probe stays bound until all are chosen: two probes bound and closed one after the other may be given
    the same port (a stack once got it for its API and its moto server, and answered API calls with moto's)."""
    with contextlib.ExitStack() as held:
        probes = [held.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


def free_port() -> int:
    return free_ports(1)[0]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0
