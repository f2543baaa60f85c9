"""The Docker-free local stack: moto server, embedded PostgreSQL, in-process Lambdas, all read from template.yaml."""

import sys
from pathlib import Path

# The shared layer, where Lambda puts it (/opt/python): the local stack runs the same package in-process.
_LAYER_DIR = str(Path(__file__).resolve().parent.parent / "layers" / "messaging")
if _LAYER_DIR not in sys.path:
    sys.path.insert(0, _LAYER_DIR)
