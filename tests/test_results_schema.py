"""Results JSON: validates against the shipped schema and round-trips through the dataclasses."""

import json

import jsonschema
import pytest

from grader.results import SCHEMA_PATH, GradeResult

CASES = [("path", "examples/correct/rnn_layers.py"), ("bug", "no_bptt_carry_lstm"), ("bug", "raises_in_call"),
         ("bug", "infinite_loop"), ("file", "syntax_error"), ("file", "exit_at_import"), ("bug", "nan_output")]


@pytest.fixture(scope="module")
def schema():
    return json.loads(SCHEMA_PATH.read_text())


@pytest.mark.parametrize("kind, name", CASES)
def test_results_validate_against_the_schema(graded, schema, kind, name):
    data = json.loads(graded(kind, name).to_json())
    jsonschema.validate(data, schema)
    assert data["schema_version"] == "1.2" and data["isolation"] == "process"


@pytest.mark.parametrize("kind, name", CASES)
def test_round_trip(graded, kind, name):
    result = graded(kind, name)
    again = GradeResult.from_dict(json.loads(result.to_json()))
    assert again.to_json() == result.to_json()


def test_schema_rejects_an_unknown_status(graded, schema):
    data = json.loads(graded("path", "examples/correct/rnn_layers.py").to_json())
    data["exercises"][0]["checks"][0]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_nan_in_metrics_becomes_null():
    from grader.results import CheckResult, ExerciseResult, SubmissionInfo

    c = CheckResult("rnn.f.x", "rnn", "f", "fd", "failed", 0, 1, metrics={"probes": {"dx": {"numeric": float("nan")}}})
    r = GradeResult("0", SubmissionInfo("p", "0" * 64), 1, "process", 0, 1, 0.1, [ExerciseResult("rnn", "R", 0, 1, [c])])
    assert json.loads(r.to_json())["exercises"][0]["checks"][0]["metrics"]["probes"]["dx"]["numeric"] is None


def test_timings_and_calls(graded):
    """1.2: seconds per phase at the top level, worker calls per student function on each check."""
    result = graded("path", "examples/correct/rnn_layers.py")
    t = result.timings
    assert {"load", "worker_start", "forward", "gradient", "fd", "property", "total"} <= set(t)
    assert all(v >= 0 for v in t.values()) and t["total"] >= t["worker_start"]
    fd = {c.function: c.calls for c in result.checks if c.kind == "fd"}
    assert fd["rnn_backward"]["rnn_backward"] == 1 and fd["rnn_backward"]["rnn_forward"] >= 3
    assert all(c.calls == {} for c in result.checks if c.kind == "api")
    old = json.loads(result.to_json())
    del old["timings"]
    for c in old["exercises"][0]["checks"]:
        del c["calls"]
    assert GradeResult.from_dict(old).timings == {}  # a 1.1 result still reads
