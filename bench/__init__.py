"""Benchmarks (`make bench`) and the soak run (`make soak`): they print figures and assert nothing."""
