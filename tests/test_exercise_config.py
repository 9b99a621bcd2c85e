"""Exercise TOML: points and tolerances change grading without code; typos are errors."""

import shutil

import pytest

from grader.checks.registry import checks_for
from grader.engine import grade
from grader.exercises import ExerciseConfigError, exercises_dir, load_exercises

CORRECT = "examples/correct/rnn_layers.py"


@pytest.fixture
def config(tmp_path):
    for f in exercises_dir().glob("*.toml"):
        shutil.copy(f, tmp_path)
    return tmp_path


def test_every_bundled_exercise_is_valid():
    exercises = load_exercises()
    assert set(exercises) == {"rnn", "lstm", "gru", "clipping", "tbptt", "dynamics", "training"}
    for ex in exercises.values():
        assert checks_for(ex)


def test_changing_points_changes_the_score(config):
    toml = config / "clipping.toml"
    toml.write_text(toml.read_text().replace("matches_reference = 3", "matches_reference = 10"))
    result = grade(CORRECT, ["clipping"], exercises=load_exercises(config))
    assert result.max_score == 14


def test_unknown_check_name_is_an_error(config):
    toml = config / "rnn.toml"
    toml.write_text(toml.read_text().replace("matches_fd = 3", "matches_fdd = 3"))
    with pytest.raises(ExerciseConfigError, match="rnn_backward has no check"):
        checks_for(load_exercises(config)["rnn"])


def test_unknown_tolerance_is_an_error(config):
    toml = config / "rnn.toml"
    toml.write_text(toml.read_text().replace("fd = 1e-6", "fd_tol = 1e-6"))
    with pytest.raises(ExerciseConfigError, match="unknown tolerance"):
        load_exercises(config)


def test_malformed_toml_names_the_file(config):
    (config / "gru.toml").write_text("id = \n")
    with pytest.raises(ExerciseConfigError, match="gru.toml"):
        load_exercises(config)


def test_call_time_limit_comes_from_toml(config, tmp_path):
    toml = config / "gru.toml"
    toml.write_text(toml.read_text().replace("call_seconds = 5.0", "call_seconds = 0.5"))
    from zoo_helpers import build_submission

    sub = build_submission(tmp_path, "infinite_loop")
    result = grade(str(sub), ["gru"], exercises=load_exercises(config))
    c = next(c for c in result.checks if c.id == "gru.gru_step_forward.matches_reference")
    assert c.status == "timeout" and "no answer within 0.5 s" in c.message
