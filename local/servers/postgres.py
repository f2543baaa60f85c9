"""PostgreSQL 16 from the pgserver wheel, embedded in the stack's process (the default without a CONNECTION_URL)."""

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


class EmbeddedPostgres:
    """PostgreSQL 16 from the pgserver wheel, on a Unix socket under ``data_dir``; stops with this process."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None

    @property
    def socket_path(self) -> Path:
        """The server's Unix socket file (pgserver picks its directory; the port is PostgreSQL's default)."""
        directory = parse_qs(urlsplit(self._server.get_uri()).query)["host"][0]
        return Path(directory) / ".s.PGSQL.5432"

    def start(self) -> str:
        import pgserver  # noqa: PLC0415 - only the embedded default needs it

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        return self._server.get_uri()

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
