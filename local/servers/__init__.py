"""The stack's servers and state: moto (a child process, patched), the embedded PostgreSQL and its TCP port, and
the snapshot that keeps moto's tables across restarts of ``make dev``."""
