"""The Docker-free local stack (the emulator), all read from template.yaml. Shared project tooling lives in
``tooling``; the harness that drives this stack from tests and benchmarks lives in ``tests``.

- ``stack``: ``EmulatedStack``, the servers, tables, functions, pollers and gateways assembled;
- ``dev`` (``python -m local.dev``, ``make dev``) and ``invoke`` (``python -m local.invoke``, ``sam local invoke``
  without Docker): the entry points, and ``logs``, make dev's log (one JSON object per line);
- ``runtime``: the template's functions run in-process, as the Lambda runtime would;
- ``http_api``: the HTTP API on SAM CLI's emulator, its JWT authorizer, payload and connection limits;
- ``websocket``: the WebSocket API on the ``websockets`` library, its events, connections and management API;
- ``streams``: one poller per event source mapping, its filters and its batches;
- ``servers``: moto (a child process, patched), the embedded PostgreSQL and its TCP port, the tables' snapshot.

The shared layer (``messaging``) is importable because `make install` puts it on the venv's path (a .pth file),
as Lambda puts it on /opt/python: importing this package changes nothing.
"""
