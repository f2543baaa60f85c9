"""Benchmarks (`make bench`) and the soak run (`make soak`): they print figures and assert nothing."""

import local  # noqa: F401 - puts the shared layer on sys.path, as for the local stack
