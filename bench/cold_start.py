"""Cold start per function: import time of its handler module in fresh python3.12 processes, and the unzipped
size of what `sam build` ships (function + layer).

Imports are measured as Lambda would run them: an isolated interpreter (-I -S: no site-packages of ours) whose path
holds the function's code, the layer's package and dependencies (installed for this machine under .local/bench),
and boto3, which the Lambda runtime provides.
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tooling.paths import PROJECT_ROOT
from tooling.template import Template

BENCH_DIR = PROJECT_ROOT / ".local" / "bench"
LAYER_SOURCE = PROJECT_ROOT / "layers" / "messaging"
RUNS = 7


@dataclass(frozen=True)
class ColdStart:
    function: str
    import_ms: float  # median over RUNS fresh processes
    size_bytes: int | None  # function + layer, unzipped, from the sam build output


def prepare_runtime() -> tuple[Path, Path]:
    """Directories standing in for /opt/python (layer dependencies) and the runtime's boto3; made once."""
    layer_deps, runtime = BENCH_DIR / "layer-deps", BENCH_DIR / "runtime"
    for target, requirements in ((layer_deps, ["-r", str(LAYER_SOURCE / "requirements.txt")]), (runtime, [_boto3()])):
        marker = target / ".installed"
        if not marker.exists():
            shutil.rmtree(target, ignore_errors=True)
            subprocess.run(  # noqa: S603 - pip with our pinned requirements
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--target",
                    str(target),
                    *requirements,
                ],
                check=True,
            )
            marker.touch()
    return layer_deps, runtime


def import_ms(
    code_dir: Path, layer_deps: Path, runtime: Path, module: str = "app", layer_source: Path = LAYER_SOURCE
) -> float:
    path = [str(code_dir), str(layer_source), str(layer_deps), str(runtime)]
    program = f"import sys; sys.path[:0] = {path!r}; import {module}"
    env = {**_function_environment(), "PATH": os.environ.get("PATH", "")}
    samples = []
    for _ in range(RUNS):
        result = subprocess.run(  # noqa: S603 - our interpreter, our program
            [sys.executable, "-I", "-S", "-X", "importtime", "-c", program],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        cumulative = re.search(rf"\|\s+(\d+) \|\s+{re.escape(module)}\s*$", result.stderr, re.MULTILINE)
        if cumulative is None:
            raise RuntimeError(f"no import time for {module} in {code_dir}:\n{result.stderr[-2000:]}")
        samples.append(int(cumulative.group(1)) / 1000)
    return statistics.median(samples)


def compare_with(revision: str, layer_deps: Path, runtime: Path) -> dict[str, dict[str, float]]:
    """Cold imports of ``revision`` (a git revision) and of the working tree, measured alternately in this run."""
    with tempfile.TemporaryDirectory(prefix="cruddur-base-") as scratch:
        base = Path(scratch) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base), revision], cwd=PROJECT_ROOT, check=True)  # noqa: S603, S607
        try:
            results = {}
            for name, spec in sorted(
                Template(parameter_overrides={"UserPoolId": "x", "UserPoolClientId": "x"}).functions.items()
            ):
                relative = spec.code_dir.relative_to(PROJECT_ROOT)
                before = import_ms(base / relative, layer_deps, runtime, layer_source=base / "layers" / "messaging")
                after = import_ms(spec.code_dir, layer_deps, runtime)
                results[name] = {"base_ms": before, "now_ms": after, "ratio": after / before}
            return results
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=PROJECT_ROOT, check=False)  # noqa: S603, S607


def reference_ms(layer_deps: Path, runtime: Path) -> float:
    """`import boto3` alone, measured the same way: cold starts are reported as a ratio of it too."""
    return import_ms(runtime, layer_deps, runtime, module="boto3")


def build_sizes(template: Template) -> dict[str, int]:
    """Unzipped bytes of each function plus the layer, from a fresh `sam build`."""
    sam = Path(sys.executable).with_name("sam")
    subprocess.run(  # noqa: S603 - the pinned SAM CLI of our venv
        [str(sam), "build", "--cached"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": f"{sam.parent}:{os.environ.get('PATH', '')}"},
    )
    build = PROJECT_ROOT / ".aws-sam" / "build"
    layer = _tree_size(build / "MessagingLayer")
    return {name: _tree_size(build / name) + layer for name in template.functions}


def _tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _function_environment() -> dict[str, str]:
    # What module-level code may read (Powertools); values do not matter for import time.
    return {"POWERTOOLS_SERVICE_NAME": "cruddur-messages", "POWERTOOLS_METRICS_NAMESPACE": "CruddurMessages"}


def _boto3() -> str:
    return next(
        line.strip()
        for line in (PROJECT_ROOT / "requirements-dev.txt").read_text().splitlines()
        if line.startswith("boto3==")
    )
