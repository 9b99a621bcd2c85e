"""Property searches answered from recorded examples (grader/checks/properties.py ``search``) give
exactly the verdicts of a full Hypothesis search, for passing and for failing functions."""

import pytest

from grader.checks import properties
from grader.engine import grade
from grader.sandbox.launcher import ProcessLauncher
from zoo_helpers import build_submission


def _verdicts(result):
    return [(c.id, c.status, c.score, c.message, c.hint, c.counterexample) for c in result.checks
            if c.kind == "property"]


@pytest.mark.parametrize("bug", ["forward_skips_step_0", "dh0_zero"])
def test_replayed_searches_give_the_same_verdicts(tmp_path, monkeypatch, bug):
    path = build_submission(tmp_path, bug)
    launcher = ProcessLauncher()
    try:
        with monkeypatch.context() as m:  # every search through Hypothesis, nothing recorded
            m.setattr(properties, "_example_key", lambda ctx, strategy: None)
            fresh = _verdicts(grade(path, ["rnn"], launcher=launcher))
        properties._EXAMPLES.clear()
        grade(path, ["rnn"], launcher=launcher)  # records the examples of the passing searches
        before = properties.replays
        replayed = _verdicts(grade(path, ["rnn"], launcher=launcher))
        assert properties.replays > before  # some searches were answered from the recording
    finally:
        launcher.close()
    assert any(v[1] == "failed" for v in fresh)  # the bug is found by some property
    assert replayed == fresh


def test_a_search_that_failed_in_an_unexpected_way_is_not_recorded(tmp_path, monkeypatch):
    """wrong_shape makes a property body raise IndexError: Hypothesis shrinks, so the examples it ran are
    not the generated ones and must not be replayed for the next submission (squeeze_batch_one)."""
    launcher = ProcessLauncher()
    try:
        squeeze = build_submission(tmp_path / "a", "squeeze_batch_one") if (tmp_path / "a").mkdir() is None else None
        with monkeypatch.context() as m:
            m.setattr(properties, "_example_key", lambda ctx, strategy: None)
            fresh = _verdicts(grade(squeeze, ["rnn"], launcher=launcher))
        properties._EXAMPLES.clear()
        (tmp_path / "b").mkdir()
        grade(build_submission(tmp_path / "b", "wrong_shape"), ["rnn"], launcher=launcher)
        after = _verdicts(grade(squeeze, ["rnn"], launcher=launcher))
    finally:
        launcher.close()
    assert after == fresh
    assert dict((v[0], v[1]) for v in fresh)["rnn.rnn_step_forward.batch_independent"] == "failed"
