"""Shared test cases for the reference: inputs in OUR layout, and the reference's outputs.

A case is a name such as ``"lstm"`` (a whole sequence) or ``"lstm_step"`` (one step, run
as a T = 1 sequence so the same oracle covers it). Inputs are a dict of float64 arrays:
x (N, T, D), h0 (N, H), Wx, Wh, b, dh (N, T, H), plus b_hn for reset_after and c0, dc
(upstream gradient on the last cell state) for the LSTM step. Outputs use the keys
h, c, dx, dh0, dc0, dWx, dWh, db, db_hn. Numpy only: no torch here.
"""

import numpy as np

import reference as R

CELLS = ["rnn", "lstm", "gru_course", "gru_reset_after", "gru_reset_after_nobhn", "gru_update_on_candidate"]
CASES = CELLS + [f"{cell}_step" for cell in CELLS]
TRUNCATES = [0, 1, 2, 5, 8]  # the tbptt case has T = 5
SHAPE = dict(N=2, T=5, D=3, H=4)
_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
_GRU = {"gru_course": "course", "gru_reset_after": "reset_after",
        "gru_reset_after_nobhn": "reset_after", "gru_update_on_candidate": "update_on_candidate"}


def cell_of(case):
    return case.removesuffix("_step")


def output_keys(case):
    keys = ["h", "dx", "dh0", "dWx", "dWh", "db"]
    if case == "lstm_step":
        keys += ["c", "dc0"]
    if cell_of(case) == "gru_reset_after":
        keys += ["db_hn"]
    return keys


def input_of(key):
    """The input a gradient key differentiates: dWx -> Wx, dh0 -> h0."""
    return key[1:]


def make_inputs(case, seed=0):
    """Fixed-seed inputs; scales keep the gates away from saturation."""
    rng = np.random.default_rng(seed)
    cell = cell_of(case)
    N, T, D, H = SHAPE["N"], SHAPE["T"], SHAPE["D"], SHAPE["H"]
    T = 1 if case.endswith("_step") else T
    G = _GATES[cell.split("_")[0]]
    c = dict(x=rng.standard_normal((N, T, D)), h0=0.5 * rng.standard_normal((N, H)),
             Wx=0.5 * rng.standard_normal((D, G * H)), Wh=0.5 * rng.standard_normal((H, G * H)),
             b=0.3 * rng.standard_normal(G * H), dh=rng.standard_normal((N, T, H)))
    if cell == "gru_reset_after":
        c["b_hn"] = 0.3 * rng.standard_normal(H)
    if case == "lstm_step":
        c["c0"] = 0.5 * rng.standard_normal((N, H))
        c["dc"] = rng.standard_normal((N, H))
    return c


def _functions(cell):
    """(step_forward, step_backward, forward, backward) of a single-state cell."""
    if cell == "rnn":
        return R.rnn_step_forward, R.rnn_step_backward, R.rnn_forward, R.rnn_backward
    v = R.GRU_VARIANTS[_GRU[cell]]
    return v.step_forward, v.step_backward, v.forward, v.backward


def _params(c):
    return [c["Wx"], c["Wh"], c["b"]] + ([c["b_hn"]] if "b_hn" in c else [])


def _param_keys(c):
    return ["dWx", "dWh", "db"] + (["db_hn"] if "b_hn" in c else [])


def run_reference(case, c):
    """Forward and backward of the reference on case inputs ``c``; a dict of output_keys(case)."""
    cell = cell_of(case)
    x, h0, dh = c["x"], c["h0"], c["dh"]
    if case == "lstm_step":
        h, cc, cache = R.lstm_step_forward(x[:, 0], h0, c["c0"], *_params(c))
        dx, dh0, dc0, *dp = R.lstm_step_backward(dh[:, 0], c["dc"], cache)
        return dict(h=h[:, None], c=cc, dx=dx[:, None], dh0=dh0, dc0=dc0, **dict(zip(_param_keys(c), dp)))
    if cell == "lstm":
        h, cache = R.lstm_forward(x, h0, *_params(c))
        dx, dh0, *dp = R.lstm_backward(dh, cache)
        return dict(h=h, dx=dx, dh0=dh0, **dict(zip(_param_keys(c), dp)))
    step_forward, step_backward, forward, backward = _functions(cell)
    if case.endswith("_step"):
        h, cache = step_forward(x[:, 0], h0, *_params(c))
        dx, dh0, *dp = step_backward(dh[:, 0], cache)
        h, dx = h[:, None], dx[:, None]
    else:
        h, cache = forward(x, h0, *_params(c))
        dx, dh0, *dp = backward(dh, cache)
    assert len(dp) == len(_param_keys(c)), "one gradient per parameter"
    return dict(h=h, dx=dx, dh0=dh0, **dict(zip(_param_keys(c), dp)))


def reference_loss(case, c):
    """The scalar whose gradient the backward computes: <dh, h> (+ <dc, c> for the LSTM step)."""
    cell = cell_of(case)
    x, h0 = c["x"], c["h0"]
    if case == "lstm_step":
        h, cc, _ = R.lstm_step_forward(x[:, 0], h0, c["c0"], *_params(c))
        return np.sum(c["dh"][:, 0] * h) + np.sum(c["dc"] * cc)
    if cell == "lstm":
        return np.sum(c["dh"] * R.lstm_forward(x, h0, *_params(c))[0])
    step_forward, _, forward, _ = _functions(cell)
    if case.endswith("_step"):
        return np.sum(c["dh"][:, 0] * step_forward(x[:, 0], h0, *_params(c))[0])
    return np.sum(c["dh"] * forward(x, h0, *_params(c))[0])


def make_clip_grads(seed=0):
    """A small dict of gradients (incl. a 0-d array) with global norm ~ 10."""
    rng = np.random.default_rng(seed)
    return {"Wx": 2 * rng.standard_normal((3, 4)), "Wh": 2 * rng.standard_normal((4, 4)),
            "b": rng.standard_normal(4), "scale": np.array(1.5)}


CLIP_MAX_NORMS = {"clipped": 1.0, "unclipped": 100.0}
CLIP_VALUE = 0.5


def norm_rel_error(a, b):
    """||a - b|| / max(||a||, ||b||, tiny): steadier than the elementwise CS231n rel_error."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300))


def assert_close(actual, expected, tol, what=""):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} instead of {expected.shape}"
    err = norm_rel_error(actual, expected)
    assert err <= tol, f"{what}: relative error {err:.3e} > {tol:.0e}"


def numerical_gradient(f, c, name, step=1e-5):
    """Central differences of the scalar f(c) w.r.t. c[name], one entry at a time."""
    base = c[name]
    grad = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        for sign in (+1, -1):
            bumped = base.copy()
            bumped[idx] += sign * step
            grad[idx] += sign * f({**c, name: bumped})
    return grad / (2 * step)
