"""The Hypothesis property checks in the DLS profile (grader/checks/prop_dls.py, docs/dls.md).

Each property is violated by one buggy DLS submission (tests/dls/bugs/), which must get the failure in
DLS names and layout with a counterexample snippet that, pasted next to the buggy solution saved as
rnn_layers.py, runs and shows the failure, and shows none next to the correct solution.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from test_dls_profile import CORRECT, _grade
from zoo_helpers import check

# (bug, check id, start of the failure's message after "<function>: fails when ... (smallest case found): ",
#  what the snippet's last print shows for the bug and for the correct solution)
CASES = [
    ("rnn_cell_forward_counter", "dls_rnn.rnn_cell_forward.deterministic",
     "calling it twice with the same inputs gives different a_next", "nonzero", "0.0"),
    ("rnn_cell_forward_counter", "dls_rnn.rnn_forward.deterministic",
     "calling it twice with the same inputs gives different a", "nonzero", "0.0"),
    ("softmax_wrong_axis", "dls_rnn.rnn_cell_forward.batch_independent",
     "example 0 computed alone (m=1) differs from the same example inside the batch in yt_pred", "nonzero", "0.0"),
    ("softmax_wrong_axis", "dls_lstm.lstm_forward.batch_independent",
     "example 0 computed alone (m=1) differs from the same example inside the batch in y", "nonzero", "0.0"),
    ("rnn_backward_global_caches", "dls_rnn.rnn_backward.no_hidden_state",
     "after another forward/backward pair ran in between, the backward of the first call gives a different "
     "gradients['dx']", "nonzero", "0.0"),
    ("rnn_backward_ones_start", "dls_rnn.rnn_backward.linear_in_upstream",
     "gradients['dx'] is not linear in the upstream gradient: rnn_backward with 2.5*da1 + da2", "nonzero", "0.0"),
    ("rnn_forward_reversed_time", "dls_rnn.rnn_forward.causal",
     "running only the first 1 step(s) (x[:, :, :1]) gives a different", "nonzero", "0.0"),
    ("rnn_forward_reversed_time", "dls_rnn.rnn_forward.equals_chained_steps",
     "a from rnn_forward differs from chaining your own rnn_cell_forward", "nonzero", "0.0"),
    ("lstm_forward_c_not_carried", "dls_lstm.lstm_forward.equals_chained_steps",
     "a from lstm_forward differs from chaining your own lstm_cell_forward", "nonzero", "0.0"),
    ("lstm_backward_no_carry", "dls_lstm.lstm_backward.equals_chained_steps",
     "gradients['dx'] from lstm_backward differs from backpropagating through your own lstm_cell_backward",
     "nonzero", "0.0"),
    ("lstm_backward_old_official", "dls_lstm.lstm_backward.equals_chained_steps",
     "gradients['dx'] from lstm_backward differs from backpropagating through your own lstm_cell_backward",
     "nonzero", "0.0"),
    ("rnn_cell_exp_tanh", "dls_rnn.rnn_cell_forward.stable_large_inputs",
     "with inputs of about 1e3 (pre-activations of that size), a_next contains NaN or inf", "False", "True"),
    ("rnn_cell_exp_tanh", "dls_rnn.rnn_backward.stable_large_inputs",
     "with inputs of about 1e3 (pre-activations of that size), gradients['dx'] contains NaN or inf", "False", "True"),
]

CS231N_WORDS = ("prev_h", "dnext_h", "dprev_h", "h0", "Wx,", "Wh,", "rnn_step_", "lstm_step_", "N=", "dh[:, t]",
                "x[:, :t]", "rows of", "x[:, t]")


def _run_snippet(tmp_path, snippet: str, bug: str) -> str:
    parts = [CORRECT.read_text()] + ([(CORRECT.parents[2] / "tests" / "dls" / "bugs" / f"{bug}.py").read_text()]
                                     if bug else [])
    (tmp_path / "rnn_layers.py").write_text("\n\n".join(parts))
    (tmp_path / "snippet.py").write_text(snippet)
    run = subprocess.run([sys.executable, "-W", "ignore", "snippet.py"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("bug, check_id, message, shows_bug, shows_ok", CASES, ids=[c[1] for c in CASES])
def test_property_fails_in_dls_words_with_a_runnable_snippet(tmp_path, bug, check_id, message, shows_bug, shows_ok):
    c = check(_grade(bug), check_id)
    function = check_id.split(".")[1]
    assert c.status == "failed", (c.status, c.message)
    head, _, rest = c.message.partition(" (smallest case found): ")
    assert head.startswith(f"{function}: fails when m=") and "n_a=" in head and "n_y=" in head
    assert rest.startswith(message), rest
    snippet = c.counterexample["snippet"]
    assert snippet.startswith("import numpy as np\nfrom rnn_layers import ")
    assert "parameters = {" in snippet and f"{function}(" in snippet
    for word in CS231N_WORDS:
        assert word not in " ".join([c.message, c.hint, snippet]), (word, c.message, c.hint, snippet)
    (tmp_path / "bug").mkdir()
    (tmp_path / "ok").mkdir()
    out = _run_snippet(tmp_path / "bug", snippet, bug)
    if shows_bug == "nonzero":
        assert float(out) > 1e-9, out
    else:
        assert out == shows_bug
    ok = _run_snippet(tmp_path / "ok", snippet, "")
    assert (float(ok) < 1e-12) if shows_ok == "0.0" else ok == shows_ok, ok


def test_correct_solution_passes_every_property():
    result = _grade("")
    props = [c for c in result.checks if c.id.rsplit(".", 1)[1] in (
        "batch_independent", "deterministic", "stable_large_inputs", "causal", "equals_chained_steps",
        "linear_in_upstream", "no_hidden_state")]
    # per exercise: 6 per forward/backward pair (3 each), plus causal and 2 x equals_chained_steps for the sequence
    assert len(props) == 2 * (6 + 6 + 3)
    assert all(c.status == "passed" for c in props), [(c.id, c.message) for c in props if c.status != "passed"]


def test_property_diagnoses_and_points():
    det = check(_grade("rnn_cell_forward_counter"), "dls_rnn.rnn_cell_forward.deterministic")
    assert det.diagnosis.bug == "shared-state" and det.diagnosis.evidence == "two identical calls returned different a_next"
    hidden = check(_grade("rnn_backward_global_caches"), "dls_rnn.rnn_backward.no_hidden_state")
    assert hidden.score == 0 and hidden.max_score == 1
    assert hidden.hint == "Return everything the backward needs in the caches; keep no module-level state."
    assert hidden.diagnosis.bug == "shared-state"
    assert hidden.diagnosis.evidence == "rnn_backward of call A changed when call B's forward/backward ran in between"
    stable = check(_grade("rnn_cell_exp_tanh"), "dls_rnn.rnn_cell_forward.stable_large_inputs")
    assert stable.score == 0 and stable.max_score == 1 and stable.diagnosis.bug == "unstable-activation"
    # the no-carry lstm_backward: equals_chained_steps fails too, worth 0, diagnosed on the value checks
    chained = check(_grade("lstm_backward_no_carry"), "dls_lstm.lstm_backward.equals_chained_steps")
    assert chained.max_score == 0 and "carrying da_prev and dc_prev" in chained.message
    batch = check(_grade("softmax_wrong_axis"), "dls_rnn.rnn_cell_forward.batch_independent")
    assert batch.hint.startswith("Treat every example (column, axis 1) the same way")


@pytest.mark.parametrize("function", ["rnn_cell_forward", "rnn_forward", "lstm_cell_forward", "lstm_forward"])
@pytest.mark.parametrize("x_scale", [1.0, 1000.0])
def test_snippet_inputs_rebuild_the_draw(function, x_scale):
    from grader.dls import DLS_LAYER_BY_FUNCTION

    layer = DLS_LAYER_BY_FUNCTION[function]
    dims = {"N": 2, "D": 3, "H": 4, "Y": 2} | ({"T": 3} if layer.sequence else {})
    for suffix in ("", "_B"):
        ns: dict = {}
        exec("\n".join(["import numpy as np"] + layer.snippet_inputs(dims, 11, x_scale, suffix)), ns)  # noqa: S102
        want = layer.draw(np.random.default_rng(11), dims, x_scale)
        for name, value in want.items():
            got = ns["parameters" + suffix][name] if name in layer.param_names else ns[name + suffix]
            assert got.shape == value.shape and np.array_equal(got, value), name
