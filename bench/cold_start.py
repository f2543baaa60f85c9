"""Cold start per function: import time of its handler module in fresh python3.12 processes, and the unzipped
size of what `sam build` ships (function + layer).

Imports are measured as Lambda would run them: an isolated interpreter (-I -S: no site-packages of ours) whose path
holds the function's code, the layer's package and dependencies (installed for this machine under .local/bench),
and boto3, which the Lambda runtime provides.
"""

import hashlib
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tooling.paths import PROJECT_ROOT
from tooling.template import Template

BENCH_DIR = PROJECT_ROOT / ".local" / "bench"
LAYER_SOURCE = PROJECT_ROOT / "layers" / "messaging"
RUNS = 15
# What the Lambda runtime sets besides the function's own environment, as far as imports may read it.
_LAMBDA_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
}


@dataclass(frozen=True)
class ImportTarget:
    """A module to import cold, with what Lambda would put on the path and in the environment."""

    name: str
    code_dir: Path
    module: str = "app"
    layer_source: Path = LAYER_SOURCE
    environment: Mapping[str, str] = field(default_factory=dict)
    layer_deps: Path | None = None  # the layer's dependencies when not this tree's (another revision's pins)


def prepare_runtime() -> tuple[Path, Path]:
    """Directories standing in for /opt/python (layer dependencies) and the runtime's boto3; made once per pin."""
    return layer_dependencies((LAYER_SOURCE / "requirements.txt").read_text()), _installed(
        BENCH_DIR / "runtime", [_boto3()], _boto3()
    )


def layer_dependencies(requirements: str) -> Path:
    """The layer's dependencies as pinned by ``requirements`` (a requirements.txt's text), installed once each."""
    target = BENCH_DIR / f"layer-deps-{hashlib.sha256(requirements.encode()).hexdigest()[:12]}"
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as pins:
        pins.write(requirements)
        pins.flush()
        return _installed(target, ["-r", pins.name], requirements)


def _installed(target: Path, requirements: list[str], pins: str) -> Path:
    # The marker holds what was installed: a changed pin installs afresh.
    marker = target / ".installed"
    if not marker.exists() or marker.read_text() != pins:
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(  # noqa: S603 - pip with pinned requirements
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
        marker.write_text(pins)
    return target


@dataclass(frozen=True)
class ColdImport:
    ms: float | None  # median cumulative import time of the target module; None when it does not import
    # Median CPU time of the same imports: far steadier than wall time on a busy machine (it leaves out the time
    # spent waiting for a core), so ratios of it hold from run to run.
    cpu_ms: float | None = None
    modules: Mapping[str, float] = field(default_factory=dict)  # median self time of every module it loads
    error: str | None = None
    # Median of the ratios to the reference import measured just before each of this target's imports: paired
    # runs cancel a drift in the machine's speed, which ratios of two medians would not.
    vs_reference: float | None = None
    cpu_vs_reference: float | None = None

    def beyond(self, reference: "ColdImport", top: int = 4) -> dict[str, float]:
        """Self ms, by top-level package, of the modules this import loads and ``reference``'s does not."""
        packages: Counter[str] = Counter()
        for module, ms in self.modules.items():
            if module not in reference.modules:
                packages[module.split(".")[0]] += ms
        return dict(packages.most_common(top))


def cold_imports(
    targets: Sequence[ImportTarget],
    layer_deps: Path,
    runtime: Path,
    runs: int = RUNS,
    reference: ImportTarget | None = None,
) -> dict[str, ColdImport]:
    """Each target's median import over ``runs`` rounds, in a new random order each round. With a reference,
    every import of a target comes right after one of the reference (alternating runs), and the result has the
    reference's figures too, under its name. A target that fails to import gets its error."""
    samples: dict[str, list[tuple[float, dict[str, tuple[float, float]]]]] = {t.name: [] for t in targets}
    pairs: dict[str, list[tuple[float, float]]] = {t.name: [] for t in targets}  # (wall, CPU) ratios
    if reference is not None:
        samples[reference.name] = []
    errors: dict[str, str] = {}
    order = list(targets)
    for _ in range(runs):
        random.shuffle(order)
        for target in order:
            if target.name in errors:
                continue
            try:
                before = _import_times(reference, layer_deps, runtime) if reference is not None else None
                sample = _import_times(target, layer_deps, runtime)
            except RuntimeError as error:
                errors[target.name] = str(error)
                continue
            samples[target.name].append(sample)
            if reference is not None and before is not None:
                samples[reference.name].append(before)
                pairs[target.name].append(
                    (sample[1][target.module][1] / before[1][reference.module][1], sample[0] / before[0])
                )
    results = {}
    for target in [*targets, *([reference] if reference is not None else [])]:
        runs_of = samples[target.name]
        if target.name in errors:
            results[target.name] = ColdImport(None, error=errors[target.name])
            continue
        modules = {m for _, run in runs_of for m in run}
        ratios = pairs.get(target.name, [])
        results[target.name] = ColdImport(
            ms=statistics.median(run[target.module][1] for _, run in runs_of),
            cpu_ms=statistics.median(cpu for cpu, _ in runs_of),
            modules={m: statistics.median(run.get(m, (0.0, 0.0))[0] for _, run in runs_of) for m in modules},
            vs_reference=statistics.median(wall for wall, _ in ratios) if ratios else None,
            cpu_vs_reference=statistics.median(cpu for _, cpu in ratios) if ratios else None,
        )
    return results


def function_targets(template: Template, code_root: Path = PROJECT_ROOT, label: str = "") -> list[ImportTarget]:
    """The template's functions as import targets, each with its template environment (its code at code_root)."""
    return [
        ImportTarget(
            name=f"{label}{name}",
            code_dir=code_root / spec.code_dir.relative_to(PROJECT_ROOT),
            layer_source=code_root / LAYER_SOURCE.relative_to(PROJECT_ROOT),
            environment=spec.environment,
        )
        for name, spec in sorted(template.functions.items())
    ]


def boto3_target(runtime: Path) -> ImportTarget:
    """`import boto3` alone, measured the same way: cold starts are reported as a ratio of it."""
    return ImportTarget(name="boto3", code_dir=runtime, module="boto3")


def compare_with(revision: str, layer_deps: Path, runtime: Path) -> dict[str, dict[str, float]]:
    """Cold imports of ``revision`` (a git revision) and of the working tree, measured alternately in this run."""
    with tempfile.TemporaryDirectory(prefix="cruddur-base-") as scratch:
        base = Path(scratch) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base), revision], cwd=PROJECT_ROOT, check=True)  # noqa: S603, S607
        try:
            template = Template(parameter_overrides={"UserPoolId": "x", "UserPoolClientId": "x"})
            # The revision's own pins: a dependency it had (or lacked) is part of its cold start.
            base_requirements = base / LAYER_SOURCE.relative_to(PROJECT_ROOT) / "requirements.txt"
            base_deps = layer_dependencies(base_requirements.read_text())
            before = {
                t.name.removeprefix("base:"): replace(t, layer_deps=base_deps)
                for t in function_targets(template, base, "base:")
            }
            pairs = [(before[t.name], t) for t in function_targets(template) if before[t.name].code_dir.exists()]
            cold = cold_imports([t for pair in pairs for t in pair], layer_deps, runtime)
            results = {}
            for was, now in pairs:
                base_ms, now_ms = cold[was.name].ms, cold[now.name].ms
                if base_ms is not None and now_ms is not None:
                    results[now.name] = {"base_ms": base_ms, "now_ms": now_ms, "ratio": now_ms / base_ms}
            return results
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=PROJECT_ROOT, check=False)  # noqa: S603, S607


def _import_times(
    target: ImportTarget, layer_deps: Path, runtime: Path
) -> tuple[float, dict[str, tuple[float, float]]]:
    """CPU ms of one cold import of the target, and the self and cumulative ms of every module it loads."""
    path = [str(target.code_dir), str(target.layer_source), str(target.layer_deps or layer_deps), str(runtime)]
    program = (
        f"import sys, time; sys.path[:0] = {path!r}; started = time.process_time(); import {target.module}; "
        "print((time.process_time() - started) * 1000)"
    )
    env = {**_LAMBDA_ENVIRONMENT, **target.environment, "PATH": os.environ.get("PATH", "")}
    result = subprocess.run(  # noqa: S603 - our interpreter, our program
        [sys.executable, "-I", "-S", "-X", "importtime", "-c", program],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    times = {
        found.group(3): (int(found.group(1)) / 1000, int(found.group(2)) / 1000)
        for found in re.finditer(r"^import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)\s*$", result.stderr, re.MULTILINE)
    }
    if result.returncode != 0 or target.module not in times:
        last_line = result.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"import failed: {last_line[0]}")
    return float(result.stdout.strip().splitlines()[-1]), times


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


def _boto3() -> str:
    return next(
        line.strip()
        for line in (PROJECT_ROOT / "requirements-dev.txt").read_text().splitlines()
        if line.startswith("boto3==")
    )
