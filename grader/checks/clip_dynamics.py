"""Clipping in action: the student's clip_grad_norm and clip_grad_value on exploding gradients.

In the exploding regime (tanh RNN, W_h = 3·Q) the gradient of a loss on the last step of a
sequence of length L grows like e^(0.28 L). For L from 1 to T the reference computes
{dWx, dWh, db} here in the trusted process (so a bug in the student's rnn_backward never costs
these points), and the student's clipping function is applied to each. Norm clipping must hold
the global norm at the threshold and keep the direction (cosine 1); value clipping, which the
well-known sine-wave tutorial uses, is checked against np.clip and its cosine with the unclipped
gradient is reported: it turns the direction more and more as the gradient explodes.
"""

from __future__ import annotations

import math

import numpy as np

import reference

from ..spec import call_text
from . import decay
from .base import CheckDef, Context, Verdict, unpack
from .compare import fmt
from .dynamics import require, seq_length

ALPHA = 3.0
MAX_NORM = 5.0
CLIP_VALUE = 1.0
KEYS = ("dWx", "dWh", "db")
MAX_LENGTH = 600  # at alpha = 3 the norm reaches ~1e68 there: its square still fits a float64 (a naive
#                   sum of squares overflows past ~1e154, which is not what this check is about)
COSINE_TOL = 1e-8


def lengths(T: int) -> list[int]:
    """Sequence lengths 1, L/8, 2L/8, ..., L with L = min(T, MAX_LENGTH): evenly spaced, so exponential
    growth is a straight line on a log scale."""
    L = min(T, MAX_LENGTH)
    return sorted({1, *range(L // 8, L + 1, L // 8)})


def exploding_gradients(ctx: Context) -> tuple[list[int], list[dict]]:
    """The reference's {dWx, dWh, db} for a loss on step L-1, for every L in ``lengths(T)``."""
    T = seq_length(ctx)
    rng = ctx.rng("dynamics", "clipping", T)
    regime = decay.Regime("clip", "rnn", "alpha", ALPHA)
    inputs = decay.regime_inputs(rng, regime, T)
    e = decay.last_step_upstream(rng, (decay.DIMS["N"], 1, decay.DIMS["H"]))[:, 0]
    _, cache = reference.rnn_forward(inputs["x"], inputs["h0"], inputs["Wx"], inputs["Wh"], inputs["b"])
    out = []
    Ls = lengths(T)
    for L in Ls:
        dh = np.zeros((decay.DIMS["N"], L, decay.DIMS["H"]))
        dh[:, -1] = e
        _, _, dWx, dWh, db = reference.rnn_backward(dh, cache[:L])
        out.append({"dWx": dWx, "dWh": dWh, "db": db})
    return Ls, out


def _log_slope(Ls: list[int], norms: list[float], where: list[bool]) -> float | None:
    pts = [(L, math.log(n)) for L, n, w in zip(Ls, norms, where) if w and n > 0 and math.isfinite(n)]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


def _rate_metrics(Ls, after, ref_after, where) -> dict:
    b, rb = _log_slope(Ls, after, where), _log_slope(Ls, ref_after, where)
    fit = decay.Fit(b)
    return {"decay_rate": b, "reference_decay_rate": rb, "rho": fit.rho, "half_life": fit.half_life}


def as_float(v) -> float | None:
    """A returned total_norm as a float (a Python or numpy number, or a one-element array)."""
    if isinstance(v, np.ndarray) and v.size == 1 and v.dtype.kind in "fiu":
        return float(v.reshape(-1)[0])
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return float(v)
    return None


def _dict_problem(got, grads: dict) -> str:
    if not isinstance(got, dict):
        return f"returned a {type(got).__name__}, expected a dict with keys {sorted(grads)}"
    if set(got) != set(grads):
        return f"returned keys {sorted(got)}, expected {sorted(grads)} (keep every key of the input)"
    for k in KEYS:
        problem = decay.array_problem(k, got[k], grads[k].shape)
        if problem:
            return problem
    return ""


def _call(function: str, grads: dict, L: int, arg: str) -> str:
    shapes = ", ".join(f"{k}{list(v.shape)}" for k, v in grads.items())
    return call_text(function, extra=f"the reference's gradients {shapes} of a tanh RNN with W_h = {ALPHA:g}·Q, "
                                     f"loss on step {L - 1} (sequence length {L}), {arg}")


def clip_norm_in_action(ctx: Context) -> Verdict:
    require(ctx, "clip_grad_norm")
    Ls, all_grads = exploding_gradients(ctx)
    before = [decay.global_norm(g.values()) for g in all_grads]
    metrics = {"alpha": ALPHA, "max_norm": MAX_NORM, "unclipped_growth_rate": _log_slope(Ls, before, [True] * len(Ls))}
    after, cosines, totals = [], [], []
    hint = ("Compute ONE norm over all arrays, total_norm = sqrt(sum of g**2 over every entry of every array); if it "
            "is above max_norm multiply EVERY array by max_norm / total_norm, else return copies unchanged.")
    for L, grads, nb in zip(Ls, all_grads, before):
        call = _call("clip_grad_norm", grads, L, f"max_norm={MAX_NORM:g}")
        got, total = unpack(ctx.call("clip_grad_norm", [grads, MAX_NORM], call), 2)
        problem = _dict_problem(got, grads)
        if problem:
            return Verdict("failed", f"{call}: {problem}", hint, metrics, call)
        na = decay.global_norm([got[k] for k in KEYS])
        cos = decay.cosine(grads, got, KEYS)
        expected = min(nb, MAX_NORM)
        total = as_float(total)
        after.append(na), cosines.append(cos), totals.append(total)
        if total is None or not abs(total - nb) <= 1e-8 * nb:
            shown = "not a number" if total is None else f"{total:.6g}"
            msg = f"{call}: total_norm came back as {shown}, expected the global norm before clipping, {nb:.6g}."
            return Verdict("failed", msg, hint, metrics, call)
        if not abs(na - expected) <= 1e-8 * expected:
            what = "the threshold" if nb > MAX_NORM else "unchanged, as it is below the threshold"
            msg = (f"{call}: the gradient's norm is {nb:.6g} before clipping and {na:.6g} after your clip_grad_norm, "
                   f"expected {expected:.6g} ({what}).")
            return Verdict("failed", msg, hint, metrics, call)
        if not cos >= 1 - COSINE_TOL:
            msg = (f"{call}: your clipping changes the gradient's direction: the cosine similarity of the clipped and "
                   f"the unclipped gradient is {cos:.6g}, expected 1 (norm clipping scales every array by the same "
                   "factor, so the direction is kept).")
            return Verdict("failed", msg, hint, metrics, call)
    clipped = [nb > MAX_NORM for nb in before]
    ref_after = [min(nb, MAX_NORM) for nb in before]
    metrics.update(_rate_metrics(Ls, after, ref_after, clipped))
    metrics["clip_curve"] = {"length": Ls, "before": before, "after": after, "cosine": cosines,
                             "threshold": MAX_NORM, "kind": "norm"}
    worst = max(abs(a - r) / r for a, r in zip(after, ref_after))
    msg = (f"tanh RNN with W_h = {ALPHA:g}·Q: the gradient norm grows from {before[0]:.3g} at sequence length 1 to "
           f"{before[-1]:.3g} at length {Ls[-1]} (b = {metrics['unclipped_growth_rate']:+.3f} per step); after your "
           f"clip_grad_norm(max_norm={MAX_NORM:g}) it stays at the threshold at every length above it (largest "
           f"relative deviation {fmt(worst)}) and the direction is kept (smallest cosine {min(cosines):.12g}).")
    return Verdict("passed", msg, metrics=metrics)


def clip_value_in_action(ctx: Context) -> Verdict:
    require(ctx, "clip_grad_value")
    Ls, all_grads = exploding_gradients(ctx)
    before = [decay.global_norm(g.values()) for g in all_grads]
    metrics = {"alpha": ALPHA, "clip_value": CLIP_VALUE}
    after, ref_after, cosines, ref_cosines = [], [], [], []
    tol = ctx.tol("forward")
    hint = "Clip every entry of every array: np.clip(g, -clip_value, clip_value), in a NEW dict with the same keys."
    for L, grads in zip(Ls, all_grads):
        call = _call("clip_grad_value", grads, L, f"clip_value={CLIP_VALUE:g}")
        (got,) = unpack(ctx.call("clip_grad_value", [grads, CLIP_VALUE], call), 1)
        problem = _dict_problem(got, grads)
        expected = reference.clip_grad_value(grads, CLIP_VALUE)
        if not problem:
            problem = next((p for p in (decay.values_problem(k, got[k], expected[k], tol) for k in KEYS) if p), "")
        if problem:
            return Verdict("failed", f"{call}: {problem}", hint, metrics, call)
        after.append(decay.global_norm([got[k] for k in KEYS]))
        ref_after.append(decay.global_norm(expected.values()))
        cosines.append(decay.cosine(grads, got, KEYS))
        ref_cosines.append(decay.cosine(grads, expected, KEYS))
    metrics.update(_rate_metrics(Ls, after, ref_after, [True] * len(Ls)))
    metrics["clip_curve"] = {"length": Ls, "before": before, "after": after, "cosine": cosines,
                             "reference_cosine": ref_cosines, "threshold": CLIP_VALUE, "kind": "value"}
    msg = (f"tanh RNN with W_h = {ALPHA:g}·Q: clipping every entry to [-{CLIP_VALUE:g}, {CLIP_VALUE:g}] turns the "
           f"gradient more and more as it explodes: its cosine with the unclipped gradient is {cosines[0]:.3f} at "
           f"sequence length 1 and {cosines[-1]:.3f} at length {Ls[-1]} (norm {before[-1]:.3g} before, "
           f"{after[-1]:.3g} after), while norm clipping keeps the direction (cosine 1). Your clip_grad_value "
           "matches np.clip at every length.")
    return Verdict("passed", msg, metrics=metrics)


def clip_dynamics_checks() -> list[CheckDef]:
    return [
        CheckDef("dynamics", "clip_grad_norm", "exploding_alpha_3", "dynamics", clip_norm_in_action),
        CheckDef("dynamics", "clip_grad_value", "direction_alpha_3", "dynamics", clip_value_in_action),
    ]
