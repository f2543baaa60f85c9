"""tests/ci_skip_guard.py, run on small test files by pytest itself (pytester): in CI only declared skips pass, in
one process and under pytest-xdist (``make test`` runs ``-n``) alike."""

import pytest

from tests.conftest import TESTS_DIR, suite_markers

pytest_plugins = ["pytester"]

SKIPS = """
import pytest

@pytest.fixture
def external_server():
    pytest.skip("the server is not ours")

def test_runs():
    pass

@pytest.mark.skipif(True, reason="no browser here")
def test_skipped_by_marker():
    pass

def test_skipped_inside():
    pytest.skip("not today")

def test_skipped_by_fixture(external_server):
    pass

@pytest.mark.may_skip_in_ci(reason="depends on the machine")
@pytest.mark.skipif(True, reason="no system python")
def test_allowed_to_skip():
    pass

@pytest.mark.xfail(reason="known bug")
def test_expected_to_fail():
    assert False
"""
REFUSED = ["test_skipped_by_marker", "test_skipped_inside", "test_skipped_by_fixture"]


@pytest.fixture
def in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")


@pytest.fixture
def not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)


# One process, and two xdist workers as make test runs them, whose controller judges the run without collecting
# (for the tests where that differs: which skips are allowed, how they are listed, a reasonless declaration).
@pytest.fixture(params=[(), ("-n", "2", "--dist", "loadgroup")], ids=["one-process", "xdist"])
def distribution(request: pytest.FixtureRequest) -> tuple[str, ...]:
    return request.param


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_sample=source)
    return pytester.runpytest("-p", "tests.ci_skip_guard", "-p", "no:cacheprovider", *args)


@pytest.mark.usefixtures("in_ci")
def test_in_ci_an_undeclared_skip_fails_the_run_and_is_named(
    pytester: pytest.Pytester, distribution: tuple[str, ...]
) -> None:
    result = run(pytester, SKIPS, *distribution)

    result.assert_outcomes(passed=1, skipped=4, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*skipped in CI without @pytest.mark.may_skip_in_ci: the run fails*",
            "SKIPPED test_sample.py::test_skipped_by_marker: no browser here",
            "SKIPPED test_sample.py::test_skipped_inside: not today",
            "SKIPPED test_sample.py::test_skipped_by_fixture: the server is not ours",
        ]
    )
    listed = [line for line in result.outlines if line.startswith("SKIPPED test_sample.py::")]
    assert [line.split("::")[1].split(":")[0] for line in listed] == REFUSED  # not the allowed one, nor the xfail


@pytest.mark.usefixtures("in_ci")
def test_in_ci_declared_skips_and_xfails_pass(pytester: pytest.Pytester, distribution: tuple[str, ...]) -> None:
    result = run(
        pytester,
        """
import pytest

@pytest.mark.may_skip_in_ci(reason="PostgreSQL is external")
def test_allowed():
    pytest.skip("external server")

@pytest.mark.xfail(reason="known bug")
def test_expected_to_fail():
    assert False

def test_runs():
    pass
""",
        *distribution,
    )

    result.assert_outcomes(passed=1, skipped=1, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
    assert "without @pytest.mark.may_skip_in_ci" not in result.stdout.str()


@pytest.mark.usefixtures("in_ci")
def test_in_ci_a_module_skipped_at_collection_fails_the_run(
    pytester: pytest.Pytester, distribution: tuple[str, ...]
) -> None:
    pytester.makepyfile(test_other="def test_runs():\n    pass\n")
    result = run(
        pytester,
        """
import pytest

pytest.skip("playwright is not installed", allow_module_level=True)

def test_never_collected():
    pass
""",
        *distribution,
    )

    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["SKIPPED test_sample.py: playwright is not installed"])


@pytest.mark.usefixtures("in_ci")
def test_in_ci_a_failing_run_keeps_its_status(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        "import pytest\n\ndef test_fails():\n    assert False\n\ndef test_skips():\n    pytest.skip()\n",
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1, skipped=1)


@pytest.mark.usefixtures("in_ci")
def test_in_ci_no_tests_collected_stays_a_failure(pytester: pytest.Pytester) -> None:
    result = run(pytester, "def helper():\n    pass\n")

    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


@pytest.mark.usefixtures("in_ci")
def test_a_declaration_without_a_reason_is_refused(pytester: pytest.Pytester, distribution: tuple[str, ...]) -> None:
    # In a group too: --dist loadgroup renames a grouped test after the guard has seen it.
    source = (
        "import pytest\n\n@pytest.mark.xdist_group('g')\n@pytest.mark.may_skip_in_ci\ndef test_vague():\n    pass\n"
    )
    result = run(pytester, source, *distribution)

    # In one process pytest stops before any test runs; an xdist worker fails the test at setup instead.
    assert result.ret == (pytest.ExitCode.TESTS_FAILED if distribution else pytest.ExitCode.USAGE_ERROR)
    assert "test_sample.py::test_vague" in (result.stderr.str() + result.stdout.str())
    assert "@pytest.mark.may_skip_in_ci needs a reason" in (result.stderr.str() + result.stdout.str())


@pytest.mark.usefixtures("not_in_ci")
def test_outside_ci_skips_are_allowed_and_counted(pytester: pytest.Pytester) -> None:
    result = run(pytester, SKIPS, "-ra")

    result.assert_outcomes(passed=1, skipped=4, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["note: 3 skip(s) here would fail CI*", "SKIPPED *no browser here"])


@pytest.mark.parametrize(
    ("path", "markers"),
    [
        ("unit/test_cursor.py", ["unit"]),
        ("integration/test_faults.py", ["integration"]),
        ("e2e/test_fuzz_api.py", ["e2e"]),
        ("e2e/test_web_client.py", ["e2e", "browser"]),
        ("e2e/test_web_anything_new.py", ["e2e", "browser"]),
        ("unit/test_web_looking.py", ["unit"]),
        ("conftest.py", []),
    ],
)
def test_suite_markers_follow_the_directory(path: str, markers: list[str]) -> None:
    assert suite_markers(TESTS_DIR / path) == markers


def test_every_suite_marker_is_registered(pytestconfig: pytest.Config) -> None:
    registered = {line.split(":")[0].split("(")[0] for line in pytestconfig.getini("markers")}
    assert {"unit", "integration", "e2e", "browser", "may_skip_in_ci"} <= registered
