"""The CI gate decides from the grader's JSON: exists, validates, adds up, reaches the minimum."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from integration_helpers import CORRECT, EXIT_AT_IMPORT, check, graded, synthetic

from grader.cli import main
from grader.integrations.gate import BELOW, NO_RESULTS, PASS, gate, parse_min_score


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """JSON files written by the grader for a correct, a buggy and an os._exit(0) submission."""
    folder = tmp_path_factory.mktemp("gate")
    paths = {}
    for name, source in SOURCES.items():
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(graded(*source).to_json())
    return paths


SOURCES = {"correct": ("path", "examples/correct/rnn_layers.py", ("clipping",)),
           "buggy": ("path", "examples/bptt_bug/rnn_layers.py", ("rnn",)),
           "exit": ("file", "exit_at_import", ("clipping",))}


def _points(name: str) -> tuple[float, float]:
    result = graded(*SOURCES[name])
    return result.score, result.max_score


def _tampered(tmp_path, source, change):
    data = json.loads(source.read_text())
    change(data)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("text, parsed", [(None, None), ("", None), ("40", (40.0, False)), ("12.5", (12.5, False)),
                                          ("80%", (80.0, True)), (" 100 % ", (100.0, True))])
def test_min_score_is_points_or_a_percentage(text, parsed):
    assert parse_min_score(text) == parsed


@pytest.mark.parametrize("text, message", [("-3", "Expected a number of points (40) or a percentage (80%)"),
                                           ("lots", "but got min-score='lots'"),
                                           ("120%", "Expected a percentage of at most 100%")])
def test_bad_min_score_says_what_it_expected(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_min_score(text)


def test_full_marks_pass_and_a_bug_fails(results):
    assert gate(results["correct"]).code == PASS
    full = _points("correct")[1]
    assert gate(results["correct"]).message == f"PASS: {full:g}/{full:g} points (minimum {full:g} (every point))"
    score, top = _points("buggy")
    verdict = gate(results["buggy"], f"{score + 1:g}")
    assert verdict.code == BELOW
    assert verdict.message.startswith(f"FAIL: {score:g}/{top:g} points, below the minimum {score + 1:g} (")
    assert "did not pass" in verdict.message
    pct = int(100 * score / top)
    assert gate(results["buggy"], f"{pct}%").message == f"PASS: {score:g}/{top:g} points (minimum {pct}% = {top * pct / 100:g})"


def test_exit_at_import_gets_zero_not_a_pass(results):
    verdict = gate(results["exit"], "1")
    assert verdict.code == BELOW and verdict.message.startswith(f"FAIL: 0/{_points('exit')[1]:g} points")


def test_missing_or_unreadable_results_fail(tmp_path):
    verdict = gate(tmp_path / "none.json", "1")
    assert verdict.code == NO_RESULTS and "does not exist: the grader wrote no results" in verdict.message
    (tmp_path / "bad.json").write_text("{not json")
    assert "is not valid JSON" in gate(tmp_path / "bad.json").message
    (tmp_path / "list.json").write_text("[1, 2]")
    assert "does not hold rnngrade results" in gate(tmp_path / "list.json").message
    (tmp_path / "v2.json").write_text('{"schema_version": "2.0"}')
    assert "has schema_version '2.0'; this gate reads version 1.x" in gate(tmp_path / "v2.json").message


def test_results_must_match_the_schema(tmp_path, results):
    bad = _tampered(tmp_path, results["correct"], lambda d: d["exercises"][0]["checks"][0].update(status="great"))
    verdict = gate(bad)
    assert verdict.code == NO_RESULTS and "does not match the results schema: exercises/0/checks/0/status" in verdict.message


def test_fields_added_in_later_1x_versions_are_ignored(tmp_path, results):
    def added(d):
        d["new_top_level"] = {"x": 1}
        d["exercises"][0]["checks"][0]["new_field"] = [1, 2]
    assert gate(_tampered(tmp_path, results["correct"], added)).code == PASS


def test_without_jsonschema_the_structure_is_still_checked(tmp_path, results, monkeypatch):
    import grader.integrations.gate as gate_mod

    monkeypatch.setattr(gate_mod, "_schema_errors", lambda data: None)
    bad = _tampered(tmp_path, results["correct"], lambda d: d["exercises"][0]["checks"][0].update(status="great"))
    verdict = gate(bad)
    assert verdict.code == NO_RESULTS and "does not match the results schema: unknown status 'great'" in verdict.message
    missing = _tampered(tmp_path, results["correct"], lambda d: d.pop("submission"))
    assert "does not match the results schema: " in gate(missing).message


def test_results_that_do_not_add_up_fail(tmp_path, results):
    def fake_full_marks(d):
        d["score"] = d["max_score"]
    verdict = gate(_tampered(tmp_path, results["exit"], fake_full_marks))
    top = f"{_points('exit')[1]:g}"
    assert verdict.code == NO_RESULTS and f"is inconsistent: the total {top}/{top} is not the sum of the exercises" in verdict.message

    def exercise_bumped(d):
        d["exercises"][0]["score"] = d["score"] = d["max_score"]
    assert f"exercise clipping: its score {top}/{top} is not the sum of its checks" in gate(_tampered(tmp_path, results["exit"], exercise_bumped)).message

    def check_bumped(d):
        c = d["exercises"][0]["checks"][1]
        c["score"] = c["max_score"] + 1
    assert "outside 0.." in gate(_tampered(tmp_path, results["correct"], check_bumped)).message

    def error_with_points(d):
        c = next(c for c in d["exercises"][0]["checks"] if c["max_score"] > 0)
        c["score"] = c["max_score"]
    assert "is error but has" in gate(_tampered(tmp_path, results["exit"], error_with_points)).message


def test_nothing_graded_and_infrastructure_errors_fail(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text(synthetic([check("rnn.rnn_forward.api", "passed", max_score=0)]).to_json())
    assert "no points were graded" in gate(empty).message
    infra = tmp_path / "infra.json"
    infra.write_text(synthetic([check("rnn.rnn_forward.api", "error", metrics={"infrastructure": True})]).to_json())
    verdict = gate(infra, "0")
    assert verdict.code == NO_RESULTS and "could not run 1 check(s) (infrastructure" in verdict.message


def test_results_must_be_for_the_submission(tmp_path, results):
    assert gate(results["correct"], submission=CORRECT).code == PASS
    verdict = gate(results["correct"], submission=EXIT_AT_IMPORT)
    assert verdict.code == NO_RESULTS and "is for another submission (sha256" in verdict.message
    assert "cannot read the submission to compare: " in gate(results["correct"], submission=tmp_path / "no.py").message


def test_min_score_above_the_points_graded_is_reported(results):
    verdict = gate(results["correct"], "56")
    assert verdict.code == BELOW and f"the minimum 56 is more than the {_points('correct')[1]:g} points graded" in verdict.message


def test_ci_gate_command_exit_codes(results, tmp_path):
    run = CliRunner().invoke
    r = run(main, ["ci-gate", str(results["correct"]), "--submission", str(CORRECT)])
    full = f"{_points('correct')[1]:g}"
    assert r.exit_code == 0 and r.output == f"rnngrade ci-gate: PASS: {full}/{full} points (minimum {full} (every point))\n"
    r = run(main, ["ci-gate", str(results["buggy"]), "--min-score", "100%"])
    score, top = _points("buggy")
    assert r.exit_code == 1 and f"rnngrade ci-gate: FAIL: {score:g}/{top:g} points, below the minimum 100% = {top:g}" in r.output
    assert run(main, ["ci-gate", str(tmp_path / "none.json")]).exit_code == 2
    r = run(main, ["ci-gate", str(results["correct"]), "--min-score", "most"])
    assert r.exit_code == 2 and "Invalid value for '--min-score': Expected a number of points" in r.output
