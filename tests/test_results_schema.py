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
    assert data["schema_version"] == "1.1" and data["isolation"] == "process"


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
