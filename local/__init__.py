"""The Docker-free local stack (the emulator): moto server, embedded PostgreSQL, in-process Lambdas, gateways and
the stream poller, all read from template.yaml. Shared project tooling lives in ``tooling``.

The shared layer (``messaging``) is importable because `make install` puts it on the venv's path (a .pth file),
as Lambda puts it on /opt/python: importing this package changes nothing.
"""
