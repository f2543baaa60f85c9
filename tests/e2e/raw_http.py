"""HTTP/1.1 spoken by hand over a socket: the requests no well-behaved client library will send."""

import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# Bounds a read that would otherwise hang forever (a server waiting for a body that never comes); no test
# measures time with it.
READ_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def connect(base_url: str) -> socket.socket:
    parts = urlsplit(base_url)
    return socket.create_connection((parts.hostname, parts.port), timeout=READ_TIMEOUT_SECONDS)


def head_bytes(method: str, path: str, headers: list[tuple[str, str]] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers or []]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def exchange(base_url: str, raw: bytes, *, half_close: bool = True) -> RawResponse:
    """Sends ``raw`` as is and reads the answer; ``half_close`` tells the server no more bytes are coming."""
    with connect(base_url) as sock:
        sock.sendall(raw)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return read_response(sock)


def read_response(sock: socket.socket) -> RawResponse:
    """The server's final answer (1xx interim answers skipped), read up to its Content-Length or the end."""
    data = b""
    while True:
        response = _parse(data)
        if response is not None:
            return response
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return _parse(data, ended=True) or RawResponse(0, {}, data)
        data += chunk


def _parse(data: bytes, *, ended: bool = False) -> RawResponse | None:
    """The final response in ``data`` once it is complete; None while more bytes are needed."""
    while b"\r\n\r\n" in data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        if 100 <= status < 200:
            data = rest
            continue
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "-1"))
        if 0 <= length <= len(rest) or ended:
            return RawResponse(status, headers, rest[:length] if length >= 0 else rest)
        return None
    return None
