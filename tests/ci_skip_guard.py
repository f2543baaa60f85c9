"""A pytest plugin: in CI a skipped test fails the run, unless the test says why CI may skip it.

A skip in CI means CI did not test what it reports as tested (no browser, no build output, ...). A test that truly
depends on the machine (an external PostgreSQL, a system-wide Python) carries
``@pytest.mark.may_skip_in_ci(reason="...")``; under ``CI=true`` any other skip, and any module skipped at
collection, makes the exit status "tests failed" and is listed at the end. Locally skips stay allowed: ``-ra``
lists them, and this plugin only notes how many CI would refuse.

It works the same under pytest-xdist (``make test`` runs ``-n``): there the controller, which judges the run, never
collects, so a skip is allowed by the marker its report carries (a report's keywords cross to the controller), and
the refused are listed in file order whichever worker finished first.
"""

import os

import pytest

MARKER = "may_skip_in_ci"
VAGUE = pytest.StashKey[bool]()  # marked may_skip_in_ci without a reason, on an xdist worker


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(reason): this test may be skipped in CI (CI=true), for the reason given"
    )
    # One guard per run: pytester runs pytest inside pytest, each run with its own config.
    config.pluginmanager.register(CiSkipGuard(), "ci-skip-guard")


class CiSkipGuard:
    def __init__(self) -> None:
        # ((file, line), node id, skip reason) of every skip not marked may_skip_in_ci; a module skipped at
        # collection is line -1 of its file.
        self.refused: list[tuple[tuple[str, int], str, str]] = []

    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker(MARKER)
            if marker is None or marker.kwargs.get("reason") or (marker.args and marker.args[0]):
                continue
            if not hasattr(session.config, "workerinput"):
                raise pytest.UsageError(_needs_a_reason(item.nodeid))
            # An xdist worker that raises here crashes without a word of why: the test fails at setup instead.
            # (On the item, not by node id: --dist loadgroup renames items after this hook.)
            item.stash[VAGUE] = True

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if item.stash.get(VAGUE, False):
            raise pytest.UsageError(_needs_a_reason(item.nodeid))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # A module skipped as it is collected has no items, so nothing can mark it as allowed.
        if report.skipped:
            self.refused.append(((report.nodeid.partition("::")[0], -1), report.nodeid, _reason(report)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # An xfail is reported as skipped too, but is no skip.
        if report.skipped and not hasattr(report, "wasxfail") and MARKER not in report.keywords:
            path, line, _ = report.location
            self.refused.append(((path, line if line is not None else -1), report.nodeid, _reason(report)))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if running_in_ci() and self.refused and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.refused:
            return
        if not running_in_ci():
            terminalreporter.write_line(
                f"note: {len(self.refused)} skip(s) here would fail CI (no @pytest.mark.{MARKER})", yellow=True
            )
            return
        terminalreporter.write_sep("=", f"skipped in CI without @pytest.mark.{MARKER}: the run fails", red=True)
        for _, node_id, reason in sorted(self.refused):
            terminalreporter.write_line(f"SKIPPED {node_id}: {reason}", red=True)


def _needs_a_reason(node_id: str) -> str:
    return f"{node_id}: @pytest.mark.{MARKER} needs a reason"


def _reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)
