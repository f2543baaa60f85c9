"""Resident memory of a process, as the kernel counts it (Linux)."""

from pathlib import Path


def resident_megabytes(pid: int | None) -> int:
    assert pid is not None, "the process is not running"
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise AssertionError(f"no VmRSS for process {pid}")
