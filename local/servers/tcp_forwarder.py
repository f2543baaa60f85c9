"""Offers a Unix-socket server on a loopback TCP port: the embedded PostgreSQL listens on a socket only, and
containers (``sam local`` with ``--docker-network host``) can reach TCP but not a socket file.

Bytes are copied as they come, both ways; PostgreSQL's protocol and authentication are untouched.
"""

import asyncio
import contextlib
import logging
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024


class TcpToUnixForwarder:
    def __init__(self, socket_path: Path, host: str, port: int) -> None:
        self.socket_path, self.host, self.port = socket_path, host, port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="postgres-tcp", daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> "TcpToUnixForwarder":
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self._server = future.result(timeout=10)  # a taken port raises here, in the caller
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _listen(self) -> asyncio.Server:
        return await asyncio.start_server(self._connect, self.host, self.port)

    async def _connect(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_unix_connection(self.socket_path)
        except OSError as error:
            logger.warning("PostgreSQL socket unreachable: %s", error)
            client_writer.close()
            return
        await asyncio.gather(_copy(client_reader, server_writer), _copy(server_reader, client_writer))


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass  # either side hung up; closing the other below ends the session
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()
