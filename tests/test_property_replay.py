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


def _generated(strategy, thorough=True):
    """The examples one passing search draws (every example passes, so nothing is shrunk)."""
    class Ctx:
        pass

    ctx = Ctx()
    ctx.thorough = thorough
    seen, found = [], {}
    assert properties._hypothesis_search(ctx, strategy, seen.append, found)
    return [repr(vars(e)) for e in seen]


def test_examples_do_not_depend_on_which_local_modules_are_imported(tmp_path, monkeypatch):
    """Hypothesis mixes constants of "local" modules into its draws: importing one changed the
    examples, so the same seed could give a different verdict on another machine or install."""
    from hypothesis.internal.conjecture import providers

    from grader.checks import prop_other

    strategy = prop_other._grads_strategy().map(prop_other._Ex)  # the clipping properties' strategy
    with properties.without_local_constants():
        before = _generated(strategy)
    unpinned_before = _generated(strategy)
    module = tmp_path / "course_constants_module.py"
    module.write_text("".join(f"V{v} = {v}\n" for v in range(5, 60000, 997)))
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__(module.stem)
    try:
        assert _generated(strategy) != unpinned_before  # the hazard is real: the pool changed the draws
        with properties.without_local_constants():
            assert _generated(strategy) == before
        assert len(providers._get_local_constants()) > 0  # and the pool is back for everyone else
    finally:
        monkeypatch.delitem(__import__("sys").modules, module.stem)
