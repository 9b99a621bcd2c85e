"""End-to-end training check (exercise kind "training"): predict the next value of a sine wave.

The classic from-scratch exercise: given 50 consecutive values of a sine wave, predict the 51st.
Each sequence has its own phase and its own frequency (0.8 to 1.2 radians per step), so the
model has to carry several steps of history: the best fixed linear rule on the last two values
reaches 0.14 RMSE, on the last three 0.12, on the last five 0.02 (docs/dynamics.md), so the
gradient has to flow back through several steps, and a backward that does not carry it fails. The loop below is the
grader's: fixed seeds and budget, a linear read-out from the last hidden state, the loss on the
last step only, Adam with a linearly decaying step size, and norm clipping (the student's
clip_grad_norm when implemented, else the reference's). Only rnn_forward and rnn_backward (and
clip_grad_norm) are the student's, called once per step through the worker; every number is
computed here. The same loop with the reference's functions runs in this process for comparison.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

import reference

from ..spec import call_text
from .base import CheckDef, Context, Skip, Verdict, unpack
from .compare import fmt
from .decay import array_problem
from .dynamics import require

SEED = 51  # fixed: the same data, initial weights and budget for every submission and every --seed
SEQ_LEN, HIDDEN, BATCH, STEPS, VAL_SIZE = 50, 16, 64, 100, 256
LR, BETAS, EPS, MAX_NORM = 0.03, (0.9, 0.999), 1e-8, 5.0
OMEGA = (0.8, 1.2)  # radians per step
REFERENCE_FILE = Path(__file__).with_name("training_reference.json")
DROP_EVERY = 25  # free the student's caches in the worker in batches (one round trip per batch)


def sine_batch(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n sequences sin(phase + omega * t), t = 0..50: inputs (n, 50, 1) and the 51st value (n, 1)."""
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1))
    omega = rng.uniform(*OMEGA, (n, 1))
    s = np.sin(phase + omega * np.arange(SEQ_LEN + 1))
    return s[:, :SEQ_LEN, None], s[:, SEQ_LEN:]


def baselines() -> dict:
    """RMSE on the validation set of predicting 0 and of repeating the last value."""
    x, y = sine_batch(np.random.default_rng([SEED, 1]), VAL_SIZE)
    return {"predict_zero": float(np.sqrt(np.mean(y ** 2))),
            "repeat_last": float(np.sqrt(np.mean((x[:, -1] - y) ** 2)))}


@dataclass
class Run:
    losses: list = field(default_factory=list)  # training loss (half the mean squared error) per step
    val_rmse: float | None = None
    failed_step: int | None = None  # the step at which the loss stopped being finite


class StudentProblem(Exception):
    """A student's function returned something training cannot use (wrong shape, NaN)."""

    def __init__(self, message: str, call: str):
        super().__init__(message)
        self.call = call


def train(forward: Callable, backward: Callable, clip: Callable, seed: int = SEED) -> Run:
    """The loop. ``forward(x, h0, Wx, Wh, b) -> (h, cache)``, ``backward(dh, cache) -> (dWx, dWh, db)``,
    ``clip(grads, max_norm) -> grads``; each step is one forward and one backward. ``seed`` is fixed
    in grading; benchmarks/calibrate_training.py varies it to show the threshold is not luck."""
    steps = STEPS
    rng = np.random.default_rng([seed, 0])
    k = 1.0 / math.sqrt(HIDDEN)
    params = {"Wx": rng.uniform(-k, k, (1, HIDDEN)), "Wh": rng.uniform(-k, k, (HIDDEN, HIDDEN)),
              "b": np.zeros(HIDDEN), "V": rng.uniform(-k, k, (HIDDEN, 1)), "c": np.zeros(1)}
    m = {n: np.zeros_like(p) for n, p in params.items()}
    v = {n: np.zeros_like(p) for n, p in params.items()}
    run = Run()
    h0 = np.zeros((BATCH, HIDDEN))
    for step in range(steps):
        x, y = sine_batch(rng, BATCH)
        h, cache = forward(x, h0, params["Wx"], params["Wh"], params["b"])
        with np.errstate(over="ignore", invalid="ignore"):  # a student's huge h: reported below, not warned
            err = h[:, -1] @ params["V"] + params["c"] - y
            loss = 0.5 * float(np.mean(err ** 2))
        run.losses.append(loss)
        if not math.isfinite(loss):
            run.failed_step = step
            return run
        dpred = err / BATCH
        dh = np.zeros_like(h)
        dh[:, -1] = dpred @ params["V"].T
        dWx, dWh, db = backward(dh, cache)
        grads = clip({"Wx": dWx, "Wh": dWh, "b": db, "V": h[:, -1].T @ dpred, "c": dpred.sum(axis=0)}, MAX_NORM)
        lr = LR * (1 - step / steps)
        for n in params:
            m[n] = BETAS[0] * m[n] + (1 - BETAS[0]) * grads[n]
            v[n] = BETAS[1] * v[n] + (1 - BETAS[1]) * grads[n] ** 2
            m_hat, v_hat = m[n] / (1 - BETAS[0] ** (step + 1)), v[n] / (1 - BETAS[1] ** (step + 1))
            params[n] = params[n] - lr * m_hat / (np.sqrt(v_hat) + EPS)
    xv, yv = sine_batch(np.random.default_rng([seed, 1]), VAL_SIZE)
    h, _ = forward(xv, np.zeros((VAL_SIZE, HIDDEN)), params["Wx"], params["Wh"], params["b"])
    with np.errstate(over="ignore", invalid="ignore"):
        pred = h[:, -1] @ params["V"] + params["c"]
        rmse = float(np.sqrt(np.mean((pred - yv) ** 2)))
    run.val_rmse = rmse if math.isfinite(rmse) else None
    return run


def reference_backward(dh, cache):
    return reference.rnn_backward(dh, cache)[2:]


def reference_clip(grads, max_norm):
    return reference.clip_grad_norm(grads, max_norm)[0]


def config() -> dict:
    """Everything that determines the reference's run: a stored run is used only if this matches."""
    return {"seed": SEED, "seq_len": SEQ_LEN, "hidden": HIDDEN, "batch": BATCH, "steps": STEPS, "val_size": VAL_SIZE,
            "lr": LR, "betas": list(BETAS), "eps": EPS, "max_norm": MAX_NORM, "omega": list(OMEGA)}


@functools.lru_cache(maxsize=4)
def reference_run(seed: int = SEED) -> Run:
    """The same loop with the reference's functions. It depends on nothing a submission sends, so the run for
    the fixed seed is stored with the package (REFERENCE_FILE, ~0.25 s saved on every check); the test suite
    checks the stored numbers against a fresh run. Rewrite it with ``python -m grader.checks.training``."""
    if seed == SEED and REFERENCE_FILE.exists():
        stored = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
        if stored.get("config") == config():
            return Run(losses=stored["losses"], val_rmse=stored["val_rmse"])
    return train(reference.rnn_forward, reference_backward, reference_clip, seed)


def write_reference_file() -> Path:
    run = train(reference.rnn_forward, reference_backward, reference_clip, SEED)
    data = {"config": config(), "losses": run.losses, "val_rmse": run.val_rmse}
    REFERENCE_FILE.write_text(json.dumps(data, indent=0) + "\n", encoding="utf-8")
    return REFERENCE_FILE


# ---------------------------------------------------------------- the student's side


class StudentModel:
    """forward/backward/clip callables for ``train`` that call the student through the worker."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.step = 0
        self.pending: list = []
        self.student_clip = "clip_grad_norm" in ctx.functions and "clip_grad_norm" not in ctx.not_attempted

    def forward(self, x, h0, Wx, Wh, b):
        dims = {"N": x.shape[0], "T": x.shape[1], "D": 1, "H": HIDDEN}
        call = call_text("rnn_forward", dims, f"training step {self.step}")
        h, cache = unpack(self.ctx.call("rnn_forward", [x, h0, Wx, Wh, b], call, ["array", "handle"]), 2)
        self.pending.append(cache)
        problem = array_problem("h", h, (x.shape[0], x.shape[1], HIDDEN))
        if problem:
            raise StudentProblem(f"{call}: {problem}", call)
        return h, cache

    def backward(self, dh, cache):
        dims = {"N": dh.shape[0], "T": dh.shape[1], "D": 1, "H": HIDDEN}
        call = call_text("rnn_backward", dims, f"training step {self.step}")
        grads = unpack(self.ctx.call("rnn_backward", [dh, cache], call), 5)
        for name, g, shape in zip(("dWx", "dWh", "db"), grads[2:], ((1, HIDDEN), (HIDDEN, HIDDEN), (HIDDEN,))):
            problem = array_problem(name, g, shape)
            if problem:
                raise StudentProblem(f"{call}: {problem}", call)
        self.step += 1
        if len(self.pending) >= DROP_EVERY:
            self.ctx.drop(self.pending)
            self.pending = []
        return grads[2:]

    def clip(self, grads, max_norm):
        if self.student_clip:
            call = call_text("clip_grad_norm", extra=f"the training gradients at step {self.step - 1}, "
                                                     f"max_norm={max_norm:g}")
            try:
                got, _ = unpack(self.ctx.call("clip_grad_norm", [grads, max_norm], call, ["dict", "number"]), 2)
            except Skip:
                self.student_clip = False  # NotImplementedError on the first call: the reference clips
            else:
                if not isinstance(got, dict) or set(got) != set(grads):
                    raise StudentProblem(f"{call}: did not return a dict with the keys {sorted(grads)}", call)
                for k, g in grads.items():
                    problem = array_problem(k, got[k], g.shape)
                    if problem:
                        raise StudentProblem(f"{call}: {problem}", call)
                return got
        return reference.clip_grad_norm(grads, max_norm)[0]

    def close(self):
        self.ctx.drop(self.pending)
        self.pending = []


def sine_wave_check(ctx: Context) -> Verdict:
    require(ctx, "rnn_forward", "rnn_backward")
    threshold = ctx.tol("val_rmse")
    model = StudentModel(ctx)
    try:
        run = train(model.forward, model.backward, model.clip)
    except StudentProblem as exc:
        return Verdict("failed", str(exc) + " (during the training run)", _HINT, {"threshold": threshold}, exc.call)
    finally:
        model.close()
    ref = reference_run()
    base = baselines()
    metrics = {
        "final_train_loss": run.losses[-1] if run.losses else None, "val_rmse": run.val_rmse, "threshold": threshold,
        "reference_val_rmse": ref.val_rmse, "reference_final_train_loss": ref.losses[-1],
        "steps": STEPS, "clipping": "yours" if model.student_clip else "reference",
        "baseline_repeat_last": base["repeat_last"], "baseline_predict_zero": base["predict_zero"],
        "loss_curve": {"yours": run.losses, "reference": ref.losses},
    }
    setup = (f"Trained for {STEPS} Adam steps (batch {BATCH}, H={HIDDEN}, fixed seeds) with your rnn_forward and "
             f"rnn_backward and {'your' if model.student_clip else 'the reference'} clip_grad_norm to predict the 51st "
             "value of a sine wave from the first 50")
    if run.failed_step is not None or run.val_rmse is None:
        where = f"at training step {run.failed_step}" if run.failed_step is not None else "on the validation set"
        value = run.losses[-1] if run.failed_step is not None else "not finite"
        msg = (f"{setup}: the loss became {value} {where} (it was {run.losses[0]:.4g} at step 0): your rnn_forward "
               "returns hidden states so large that the prediction overflows.")
        return Verdict("failed", msg, _HINT, metrics, call_text("rnn_forward", extra=where))
    compared = (f"validation RMSE {run.val_rmse:.4g} (threshold {fmt(threshold)}; the reference reaches "
                f"{ref.val_rmse:.4g} with the same seeds and budget, repeating the last value gives "
                f"{base['repeat_last']:.3g})")
    losses = f"from {run.losses[0]:.3g} to {run.losses[-1]:.3g}"
    if run.val_rmse <= threshold:
        return Verdict("passed", f"{setup}: {compared}; the training loss went {losses}.", metrics=metrics)
    if run.losses[-1] > 0.5 * run.losses[0]:
        tail = f" The training loss hardly went down ({losses}): your model did not learn at all."
    else:
        tail = f" The training loss went {losses}, but not far enough."
    return Verdict("failed", f"{setup}: {compared}: above the threshold, so your model did not learn to predict the "
                   f"next value.{tail}", _HINT, metrics)


_HINT = ("Training follows dWx, dWh and db from your rnn_backward: if they are wrong, the optimiser walks in the wrong "
         "direction and the loss stalls. Make rnn.rnn_backward.matches_reference and matches_fd pass first; the loss "
         "curve in the HTML report shows where learning stops.")


def training_checks(function: str) -> list[CheckDef]:
    """PROVIDERS["training"]: the end-to-end check hangs off rnn_backward."""
    if function != "rnn_backward":
        raise KeyError(function)
    return [CheckDef("training", "rnn_backward", "sine_wave_next_value", "training", sine_wave_check)]


if __name__ == "__main__":
    print(f"wrote {write_reference_file()}")
