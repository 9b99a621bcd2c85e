"""JUnit XML: one testcase per check, read back with a real JUnit consumer (junitparser)."""

from __future__ import annotations

from click.testing import CliRunner
from integration_helpers import CORRECT, HOSTILE, check, graded, synthetic
from junitparser import Error, Failure, JUnitXml, Skipped

from grader.cli import main
from grader.render.junit import render_junit, write_junit


def _parse(path):
    xml = JUnitXml.fromfile(str(path))
    return {case.name: (suite, case) for suite in xml for case in suite}


def test_every_check_is_a_testcase_with_its_verdict(tmp_path):
    result = graded("bug", "raises_in_call")
    path = write_junit(result, tmp_path / "junit.xml")
    cases = _parse(path)
    assert set(cases) == {c.id for c in result.checks}
    for c in result.checks:
        suite, case = cases[c.id]
        assert case.classname == c.exercise == suite.name
        kinds = [type(r) for r in case.result]
        expected = {"passed": [], "failed": [Failure], "error": [Error], "timeout": [Error], "skipped": [Skipped]}
        assert kinds == expected[c.status], c.id
    suite, case = cases["rnn.rnn_step_backward.matches_reference"]
    err = case.result[0]
    assert err.type == "error" and "raised ValueError" in err.message
    assert "rnn_layers.py:" in err.text and "in _affine_backward: dinp = dout @ w" in err.text
    assert "hint: " in err.text and "call: rnn_step_backward(dnext_h, cache)" in err.text
    props = {p.name: p.value for p in suite.properties()}
    assert props["score"] == f"{result.exercises[0].score:g}" and props["max_score"] == f"{result.max_score:g}"
    assert props["total_max_score"] == f"{result.max_score:g}" and props["sha256"] == result.submission.sha256


def test_failed_timeout_and_skipped_are_told_apart(tmp_path):
    result = synthetic([
        check("rnn.rnn_forward.matches_reference", "failed", message="dx: relative error 0.5", hint="carry dprev_h"),
        check("rnn.rnn_backward.matches_fd", "timeout", message="did not return within 5 s", hint="no while True"),
        check("lstm.lstm_forward.api", "skipped", message="lstm_forward is not defined in your file: not attempted"),
        check("lstm.lstm_backward.api", "passed", score=1),
    ])
    (tmp_path / "j.xml").write_text(render_junit(result))
    xml = JUnitXml.fromfile(str(tmp_path / "j.xml"))
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (4, 1, 1, 1)
    cases = _parse(tmp_path / "j.xml")
    failure = cases["rnn.rnn_forward.matches_reference"][1].result[0]
    assert isinstance(failure, Failure) and failure.message == "dx: relative error 0.5" and "hint: carry dprev_h" in failure.text
    timeout = cases["rnn.rnn_backward.matches_fd"][1].result[0]
    assert isinstance(timeout, Error) and timeout.type == "timeout"
    skipped = cases["lstm.lstm_forward.api"][1].result[0]
    assert isinstance(skipped, Skipped) and skipped.message.endswith("not attempted")


def test_student_text_cannot_break_the_xml(tmp_path):
    result = synthetic([check("rnn.rnn_forward.matches_reference", "error", message=HOSTILE + "]]>", hint=HOSTILE,
                              traceback=[("rnn_layers.py", 3, "f", "x = '\x00'")])])
    (tmp_path / "j.xml").write_text(render_junit(result))
    case = _parse(tmp_path / "j.xml")["rnn.rnn_forward.matches_reference"][1]
    err = case.result[0]
    assert err.message.startswith("<script>alert(1)</script> **bold**") and err.message.endswith("]]>")
    assert "\\x00\\x1b[31m" in err.message  # characters XML cannot carry are shown, not dropped silently
    assert "::error::pwned" in err.text


def test_check_junit_option_writes_the_file(tmp_path):
    out = tmp_path / "reports" / "junit.xml"
    r = CliRunner().invoke(main, ["check", str(CORRECT), "-e", "clipping", "--no-html", "--no-github",
                                  "--junit", str(out)])
    assert r.exit_code == 0, r.output
    assert f"JUnit XML: {out}" in r.output
    xml = JUnitXml.fromfile(str(out))
    assert xml.tests > 0 and xml.failures == xml.errors == 0
