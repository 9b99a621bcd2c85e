"""The end-to-end sine-wave training check: passes for correct code, fails visibly for a broken backward."""

import pytest

from zoo_helpers import check

TRAINING = ("training",)
CID = "training.rnn_backward.sine_wave_next_value"


@pytest.mark.parametrize("path", ["examples/correct/rnn_layers.py", "tests/zoo/alt_style_correct.py"])
def test_correct_code_learns_the_sine_wave(dyn, path):
    c = check(dyn(path=path, exercises=TRAINING), CID)
    m = c.metrics
    assert c.status == "passed" and c.score == c.max_score == 4
    assert {"final_train_loss", "val_rmse", "threshold"} <= set(m)
    assert m["val_rmse"] <= m["threshold"] == 0.035
    assert m["val_rmse"] == pytest.approx(m["reference_val_rmse"], abs=0.003)
    assert m["reference_val_rmse"] < 0.7 * m["threshold"]  # the reference passes comfortably
    assert m["clipping"] == "yours" and len(m["loss_curve"]["yours"]) == len(m["loss_curve"]["reference"]) == 100
    assert m["baseline_repeat_last"] > 0.5 and m["final_train_loss"] < 0.01 * m["loss_curve"]["yours"][0]
    assert c.message.startswith("Trained for 100 Adam steps (batch 64, H=16, fixed seeds) with your rnn_forward and "
                                "rnn_backward and your clip_grad_norm to predict the 51st value of a sine wave from "
                                "the first 50: validation RMSE ")
    assert "the training loss went from 0.247 to " in c.message


def test_the_training_run_does_not_depend_on_the_grading_seed(tmp_path):
    from grader.engine import grade
    from zoo_helpers import CORRECT

    a, b = (check(grade(str(CORRECT), ["training"], seed=s), CID).metrics for s in (1, 987654))
    assert a["val_rmse"] == b["val_rmse"] and a["loss_curve"] == b["loss_curve"]


def test_no_carry_fails_to_learn(dyn):
    c = check(dyn("no_bptt_carry_rnn", exercises=TRAINING), CID)
    assert c.status == "failed" and c.metrics["val_rmse"] > 2 * c.metrics["threshold"]
    assert ": above the threshold, so your model did not learn to predict the next value. The training loss went " \
           "from 0.247 to " in c.message and c.message.endswith(", but not far enough.")
    assert "rnn.rnn_backward.matches_reference" in c.hint


def test_a_sign_error_does_not_learn_at_all(dyn):
    c = check(dyn("tanh_derivative_sign", exercises=TRAINING), CID)
    assert c.status == "failed"
    assert "The training loss hardly went down (from 0.247 to " in c.message
    assert c.message.endswith("your model did not learn at all.")
    # the norms of the gradient are right, only the sign is wrong: the dynamics checks cannot see it
    assert all(x.status == "passed" for x in dyn("tanh_derivative_sign").checks)


def test_the_example_without_clipping_uses_the_reference_clipping(dyn):
    c = check(dyn(path="examples/bptt_bug/rnn_layers.py", exercises=TRAINING), CID)
    assert c.status == "failed" and c.metrics["clipping"] == "reference"
    assert "and the reference clip_grad_norm to predict" in c.message


def test_unusable_return_values_stop_the_run_with_the_step(dyn):
    c = check(dyn("db_keepdims", exercises=TRAINING), CID)
    assert c.status == "failed" and c.message == ("rnn_backward(dh, cache) with N=64, T=50, D=1, H=16, training step 0: "
                                                  "db has shape (1, 16), expected (16,) (during the training run)")


WRONG_H = '''
_rnn_forward = rnn_forward
def rnn_forward(x, h0, Wx, Wh, b):
    h, cache = _rnn_forward(x, h0, Wx, Wh, b)
    return h.transpose(0, 2, 1), cache
'''
CLIP_DROPS_KEY = '''
_clip = clip_grad_norm
def clip_grad_norm(grads, max_norm):
    out, total = _clip(grads, max_norm)
    out.pop("c")
    return out, total
'''
CLIP_TODO = '''
def clip_grad_norm(grads, max_norm):
    raise NotImplementedError
'''
HUGE_H = '''
_rnn_forward = rnn_forward
def rnn_forward(x, h0, Wx, Wh, b):
    h, cache = _rnn_forward(x, h0, Wx, Wh, b)
    return (h * 1e200 if x.shape[0] == {n} else h), cache
'''


def test_wrong_forward_shape_and_wrong_clip_keys(dyn):
    c = check(dyn(exercises=TRAINING, extra=WRONG_H), CID)
    assert c.message == ("rnn_forward(x, h0, Wx, Wh, b) with N=64, T=50, D=1, H=16, training step 0: h has shape "
                         "(64, 16, 50), expected (64, 50, 16) (during the training run)")
    c = check(dyn(exercises=TRAINING, extra=CLIP_DROPS_KEY), CID)
    assert c.status == "failed" and c.message == (
        "clip_grad_norm(grads, max_norm) with the training gradients at step 0, max_norm=5: did not return a dict with "
        "the keys ['V', 'Wh', 'Wx', 'b', 'c'] (during the training run)")


def test_clip_not_attempted_falls_back_to_the_reference(dyn):
    c = check(dyn(exercises=TRAINING, extra=CLIP_TODO), CID)
    assert c.status == "passed" and c.metrics["clipping"] == "reference"


@pytest.mark.parametrize("n, where", [(64, "at training step 0"), (256, "on the validation set")])
def test_overflowing_predictions(dyn, n, where):
    c = check(dyn(exercises=TRAINING, extra=HUGE_H.format(n=n)), CID)
    assert c.status == "failed"
    assert f"the loss became {'inf' if n == 64 else 'not finite'} {where} (it was " in c.message
    assert c.message.endswith("your rnn_forward returns hidden states so large that the prediction overflows.")


def test_starter_is_not_attempted(dyn):
    c = check(dyn(path="exercises/rnn_layers.py", exercises=TRAINING), CID)
    assert c.status == "skipped" and "not attempted" in c.message


def test_the_stored_reference_run_is_what_the_loop_computes():
    import json

    import reference
    from grader.checks import training as tr

    stored = json.loads(tr.REFERENCE_FILE.read_text())
    assert stored["config"] == tr.config(), "the loop changed: run `python -m grader.checks.training`"
    fresh = tr.train(reference.rnn_forward, tr.reference_backward, tr.reference_clip)
    assert fresh.losses == pytest.approx(stored["losses"], rel=1e-6)
    assert fresh.val_rmse == pytest.approx(stored["val_rmse"], rel=1e-6)
    assert tr.reference_run().val_rmse == stored["val_rmse"]
