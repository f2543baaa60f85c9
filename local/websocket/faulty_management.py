"""A management endpoint that fails on purpose: what ``make dev ARGS="--direct-push-fault MODE"`` gives C and D's
direct push (``DIRECT_PUSH_MANAGEMENT_URL``) instead of the working one, so that the stream's push can be seen
delivering alone, and C's answer seen unchanged and on time.

- ``refuse``: every call is answered at once with a 500 (InternalServerError), as a failing API Gateway would;
- ``hang``: every connection is accepted and never answered (a black hole): the direct push's budget cuts it.

The stream's push keeps the working endpoint (``WEBSOCKET_MANAGEMENT_URL``).
"""

import socket
import threading
from typing import Self

FAULTS = ("refuse", "hang")
_REFUSAL = (
    b"HTTP/1.1 500 Internal Server Error\r\n"
    b"Content-Type: application/json\r\nx-amzn-ErrorType: InternalServerErrorException\r\n"
    b"Content-Length: 36\r\nConnection: close\r\n\r\n"
    b'{"message": "Internal server error"}'
)


class FaultyManagementApi:
    """Listens on a loopback port of its own and fails every call the way ``fault`` says."""

    def __init__(self, fault: str, stage: str, host: str = "127.0.0.1") -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
        self.fault, self.stage = fault, stage
        self._listener = socket.create_server((host, 0))
        self._held: list[socket.socket] = []  # hung connections, kept open until the stack stops
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"management-{fault}", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}/{self.stage}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        for held in self._held:
            held.close()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed by stop()
            if self.fault == "hang":
                self._held.append(client)
                continue
            threading.Thread(target=_refuse, args=(client,), daemon=True).start()


def _refuse(client: socket.socket) -> None:
    with client:
        client.settimeout(5)
        try:
            client.recv(65536)  # the request's head (and most likely its small body): read, never looked at
            client.sendall(_REFUSAL)
        except OSError:
            return
