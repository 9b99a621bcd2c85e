"""Gradient dynamics measured on the student's own code (exercise kind "dynamics").

For each regime in ``decay.REGIMES`` the student's sequence forward and backward run on a long
sequence (T = 200; 1000 with ``--thorough``) with the loss on the last step only; the reference
runs in this (trusted) process on identical inputs. The check compares the fitted per-step
log-decay rates b and, when they differ, says why: the forward already differs, the gradient
stops after some lag (a cliff: nothing is carried between steps), it grows faster than the
Pascanu bound allows, or where the two curves part. The measurement is always of the student's
own code, so a wrong forward or backward still gets its curve drawn. (For the tanh RNN, whose
alpha = 3 regime is chaotic, the reference's backward runs along the student's own hidden states
once the forward matches: see ``_rnn_caches``.)

Also here: the closed-form case ||dL/dh0|| = alpha^T, and a finiteness check that drives the
pre-activations to ~1000 so hand-written activations that overflow are caught with the step.
Clipping in action lives in ``clip_dynamics.py``.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..spec import LAYER_BY_FUNCTION, call_text
from . import decay
from .base import CheckDef, Context, Skip, Verdict, unpack
from .compare import fmt
from .layers import _forward

FORWARD_STEPS = 20  # the forward is compared with the reference's on these first steps
CLOSED_FORM_ALPHA = 0.9
CLOSED_FORM_TOL = 1e-9  # on |ln ||dh0|| - T ln alpha|: float64 rounding over T=1000 steps is ~1e-13
LARGE_INPUT_DECADES = 3  # the input scale grows from 1 to 10**3 along the sequence

CARRY_HINTS = {
    "rnn": "The gradient reaching h_t is dh[:, t] PLUS the dprev_h sent back by step t+1; then "
           "da = that * (1 - h_t**2) and dprev_h = da @ Wh.T is what you carry to step t-1.",
    "lstm": "Carry BOTH dprev_h and dprev_c from step t+1 to step t: dnext_h = dh[:, t] + dprev_h, "
            "dc = dprev_c + dnext_h * o * (1 - tanh(c_t)**2), and dprev_c = dc * f is what the cell carries back.",
    "gru": "The gradient reaching h_t is dh[:, t] PLUS the dprev_h from step t+1; dprev_h collects the "
           "direct path dnext_h * z and the paths through r, z and the candidate's matmul.",
}


NON_FINITE_HINT = ("A NaN or inf comes either from an entry that is never written (an array made with np.empty or "
                   "filled with NaN, a loop that skips a step) or from a formula that overflows (np.exp of a large "
                   "number); the message says at which step it first appears.")


def require(ctx: Context, *functions: str) -> None:
    """Skip (not attempted) unless every function exists and has not said NotImplementedError."""
    need = " and ".join(functions)
    for f in functions:
        if f not in ctx.functions:
            raise Skip(f"{f} is not defined in your file: not attempted (this check needs {need})")
        if f in ctx.not_attempted:
            raise Skip(f"{ctx.not_attempted[f]} (this check needs {need})")


def seq_length(ctx: Context) -> int:
    return decay.T_THOROUGH if ctx.thorough else decay.T_DEFAULT


def _dims(T: int, N: int = decay.DIMS["N"]) -> dict:
    return {"N": N, "T": T, "D": decay.DIMS["D"], "H": decay.DIMS["H"]}


def run_student(ctx: Context, layer, inputs: dict, dh: np.ndarray, extra: str):
    """(h, grads, forward call text, backward call text) from the student's forward and backward."""
    dims = _dims(inputs["x"].shape[1], inputs["x"].shape[0])
    fcall = call_text(layer.forward, dims, extra)
    bcall = call_text(layer.backward, dims, extra)
    (h,), cache = _forward(ctx, layer, inputs, fcall)
    try:
        bad = _not_finite_array(h, "h", (dims["N"], dims["T"], dims["H"]), fcall, forward=True)
        if bad:
            return h, None, fcall, bcall, bad
        grads = unpack(ctx.call(layer.backward, [dh, cache], bcall), len(layer.inputs))
    finally:
        ctx.drop([cache])
    bad = _not_finite_array(grads[0], "dx", inputs["x"].shape, bcall, forward=False)
    return h, grads, fcall, bcall, bad


def _not_finite_array(a, name: str, shape: tuple, call: str, forward: bool) -> str:
    """'' when ``a`` is a finite array of ``shape``; else a sentence saying what and where."""
    problem = decay.array_problem(name, a, shape, finite=False)
    if problem:
        return f"{call}: {problem}"
    nf = decay.first_nonfinite_step(a) if isinstance(a, np.ndarray) and a.shape == shape else None
    if nf is None:
        return ""
    T = shape[1]
    kinds = " or ".join(nf.kinds)
    idx = ", ".join(map(str, nf.index))
    if forward:
        return (f"{call}: {name} becomes {kinds} at step t={nf.t} of {T} (first at {name}[{idx}]; "
                f"{nf.count} non-finite entries in all)")
    last = T - 1 - max(t for t in range(T) if not np.all(np.isfinite(a[:, t])))
    return (f"{call}: {name} becomes {kinds} at lag {last} back from the last step (t={T - 1 - last}; "
            f"{nf.count} non-finite entries in all)")


# ---------------------------------------------------------------- decay rates


def _theory(regime: decay.Regime, inputs: dict, ref_cache) -> dict:
    """What theory says next to the measurement: the Pascanu bound, or the gate path's own rate."""
    if regime.arch == "rnn":
        sigma = float(np.linalg.norm(inputs["Wh"], 2))
        return {"bound": round(math.log(sigma), 12), "sigma_max": round(sigma, 12)}
    if regime.arch == "lstm":  # reference cache: (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c) per step
        f = np.stack([c[6] for c in ref_cache])
        return {"forget_gate_rate": float(np.mean(np.log(f)))}
    z = np.stack([c[5] for c in ref_cache])  # (x, prev_h, Wx, Wh, r, z, n, ...): z keeps the old state
    return {"update_gate_rate": float(np.mean(np.log(z)))}


def _theory_text(regime: decay.Regime, th: dict) -> str:
    if "bound" in th:
        s, bound = th["sigma_max"], th["bound"]
        if s < 1:
            return (f"Theory: the largest singular value of W_h is {s:.3g} < 1, so b cannot exceed ln {s:.3g} = "
                    f"{bound:.3f}: vanishing is guaranteed (Pascanu et al. 2013).")
        return (f"Theory: the largest singular value of W_h is {s:.3g} >= 1, so the bound b <= {bound:.3f} "
                "does not force vanishing; exploding needs it above 1 (necessary, not sufficient).")
    if "forget_gate_rate" in th:
        return (f"Theory: the cell path alone decays at mean ln f = {th['forget_gate_rate']:.3f} per step "
                "(the forget-gate bias sets how close f stays to 1: the constant error carousel).")
    return f"Theory: the direct path h_(t-1) -> h_t alone decays at mean ln z = {th['update_gate_rate']:.3f} per step."


def _rate_text(fit: decay.Fit) -> str:
    hl = fit.half_life
    what = "doubling time" if fit.b > 0 else "half-life"
    return f"b = {fit.b:+.4f} per step (rho = {fit.rho:.4g}, {what} {hl:.3g} steps)"


def _stop_lag(logs: np.ndarray, hi: int) -> int | None:
    """The last lag with a gradient when it is exactly zero from some lag > 0 up to ``hi``; else None."""
    zero = np.isneginf(logs[:hi + 1])
    if not zero.any() or zero[0]:
        return None
    first = int(np.argmax(zero))
    return first - 1 if zero[first:].all() else None


def decay_check(regime: decay.Regime):
    def run(ctx: Context) -> Verdict:
        require(ctx, regime.forward, regime.backward)
        layer = LAYER_BY_FUNCTION[regime.forward]
        ref_forward, ref_backward = layer.reference()
        T = seq_length(ctx)
        rng = ctx.rng("dynamics", regime.name, T)
        inputs = decay.regime_inputs(rng, regime, T)
        dh = decay.last_step_upstream(rng, (decay.DIMS["N"], T, decay.DIMS["H"]))
        args = [inputs[n] for n in layer.input_names]
        ref_h, ref_cache = ref_forward(*args)
        ref_logs = decay.log_mean_norm_per_lag(ref_backward(dh, ref_cache)[0])
        lo, hi = decay.fit_window(ref_logs)
        ref_fit = decay.fit_rate(ref_logs, lo, hi)
        theory = _theory(regime, inputs, ref_cache)
        lags = decay.curve_lags(T)
        metrics = {
            "regime": regime.label, "knob": regime.knob, "value": regime.value, "T": T, "dims": _dims(T),
            "decay_rate": None, "reference_decay_rate": ref_fit.b, "rho": None, "half_life": None,
            "reference_rho": ref_fit.rho, "reference_half_life": ref_fit.half_life, **theory,
            "tolerance": ctx.tol("decay_rate"), "fit_lags": [lo, hi],
        }
        curve = {"lag": lags, "reference": decay.log10_list(ref_logs, lags), "yours": [None] * len(lags)}
        if "bound" in theory:  # ln a_k <= ln ||Wx||_2 + k ln sigma_max: dh is a unit vector and |tanh'| <= 1
            top = math.log(float(np.linalg.norm(inputs["Wx"], 2)))
            curve["bound"] = [round((top + k * theory["bound"]) / math.log(10), 6) for k in lags]
            curve["bound_rate"] = theory["bound"]
        metrics["curve"] = curve
        extra = regime.label
        h, grads, fcall, bcall, bad = run_student(ctx, layer, inputs, dh, extra)
        hint = CARRY_HINTS[regime.arch]
        if bad:
            return Verdict("failed", bad, NON_FINITE_HINT, metrics, fcall if grads is None else bcall)
        logs = decay.log_mean_norm_per_lag(grads[0])
        curve["yours"] = decay.log10_list(logs, lags)
        # over the first steps only: at alpha = 3 the tanh RNN is chaotic, and rounding differences between two
        # correct implementations grow like e^(0.25 t) until the late hidden states disagree completely
        fwd_error = decay.rel_error(h[:, :FORWARD_STEPS], ref_h[:, :FORWARD_STEPS])
        metrics["forward_rel_error"] = fwd_error
        if regime.arch == "rnn" and fwd_error <= ctx.tol("forward"):
            # so the reference's backward runs along YOUR hidden states, not along its own chaotic trajectory
            ref_logs = decay.log_mean_norm_per_lag(ref_backward(dh, _rnn_caches(inputs, h))[0])
            lo, hi = decay.fit_window(ref_logs)
            ref_fit = decay.fit_rate(ref_logs, lo, hi)
            metrics.update(reference_decay_rate=ref_fit.b, reference_rho=ref_fit.rho,
                           reference_half_life=ref_fit.half_life, fit_lags=[lo, hi],
                           reference_along="your hidden states")
            curve["reference"] = decay.log10_list(ref_logs, lags)
        gap = np.abs(logs[:hi + 1] - ref_logs[:hi + 1])
        metrics["max_log10_gap"] = float(np.max(gap) / math.log(10)) if np.all(np.isfinite(gap)) else None
        head = f"{regime.label}, T={T}, loss on the last step only: "
        stop = _stop_lag(logs, hi)
        if stop is not None:
            cut = (f" (a cliff): dx[:, t] is exactly zero for every step before the last (t < {T - 1})"
                   if stop == 0 else f": dx[:, t] is exactly zero from lag {stop + 1} on (t < {T - 1 - stop})")
            msg = (head + f"your gradient stops after lag {stop}{cut}, while the reference's decays at "
                   + _rate_text(ref_fit) + "." + (" No gradient is carried from one step to the next." if stop == 0
                                                  else " The gradient is carried only part of the way back."))
            metrics["stops_after_lag"] = stop
            return Verdict("failed", msg, hint, metrics, bcall)
        fit = decay.fit_rate(logs, lo, hi)
        if fit.b is None:  # (almost) all zero: nothing to fit
            zeros = int(np.isneginf(logs[:hi + 1]).sum())
            msg = (head + f"your dx is exactly zero at {zeros} of the {hi + 1} lags 0 to {hi}, so no decay rate can be "
                   f"fitted; the reference's decays at {_rate_text(ref_fit)}. Fill dx[:, t] = da @ Wx.T at every step.")
            return Verdict("failed", msg, hint, metrics, bcall)
        metrics.update(decay_rate=fit.b, rho=fit.rho, half_life=fit.half_life)
        diff = abs(fit.b - ref_fit.b)
        metrics["rate_difference"] = diff
        tol = ctx.tol("decay_rate")
        compared = (f"your gradient norm decays at {_rate_text(fit)}; the reference's at b = {ref_fit.b:+.4f} on the "
                    f"same inputs (difference {fmt(diff)}, tolerance {fmt(tol)}).")
        if diff <= tol:
            note = ""
            if metrics["max_log10_gap"] is not None and metrics["max_log10_gap"] > 1e-6:
                note = (f" The rate agrees, but your norms differ from the reference's by up to a factor "
                        f"{10 ** metrics['max_log10_gap']:.3g} at some lag: the gradient checks show where.")
            return Verdict("passed", head + compared + " " + _theory_text(regime, theory) + note, metrics=metrics)
        reason = _why_rates_differ(regime, fwd_error > ctx.tol("forward") and fwd_error, fit, theory, logs, ref_logs, hi, T)
        return Verdict("failed", head + compared + " " + reason, hint, metrics, bcall)

    return run


def _rnn_caches(inputs: dict, h: np.ndarray) -> list:
    """The reference's step caches (x_t, h_(t-1), Wx, Wh, h_t) built from the student's own hidden states.

    The tanh RNN at alpha = 3 is chaotic: two correct implementations that round differently follow
    hidden-state trajectories that part after ~100 steps, and the rate fitted along each differs by up to
    ~0.03. The reference's backward along the student's states gives a correct backward the same rate to
    rounding. Used only when the student's forward matches the reference's on the first steps.
    """
    prev = [inputs["h0"]] + [h[:, t] for t in range(h.shape[1] - 1)]
    return [(inputs["x"][:, t], prev[t], inputs["Wx"], inputs["Wh"], h[:, t]) for t in range(h.shape[1])]


def _why_rates_differ(regime, fwd_error, fit, theory, logs, ref_logs, hi, T) -> str:
    if fwd_error:
        return (f"Your {regime.forward} already differs from the reference on this sequence (h over the first "
                f"{FORWARD_STEPS} steps: relative error {fwd_error:.3g}), so the two runs do not compute the same thing: fix {regime.forward} first.")
    if "bound" in theory and fit.b > theory["bound"] + 0.02:
        return (f"Your rate is above the bound ln sigma_max(W_h) = {theory['bound']:.3f}, which no correct backward "
                "can exceed: the gradient you pass back from step t+1 to step t is amplified somewhere.")
    gap = np.abs(logs[:hi + 1] - ref_logs[:hi + 1])
    k = int(np.argmax(gap > 1e-6 * np.maximum(1.0, np.abs(ref_logs[:hi + 1]))))
    return (f"The curves part at lag {k} (t = {T - 1 - k}): your mean ||dx[n, t]|| there is "
            f"{math.exp(logs[k]):.4g}, the reference's {math.exp(ref_logs[k]):.4g}.")


# ---------------------------------------------------------------- the closed-form case


def closed_form_check(ctx: Context) -> Verdict:
    """Zero inputs, h0 = 0, b = 0, W_h = alpha * Q: every tanh' is 1, so ||dL/dh0|| = alpha^T exactly."""
    require(ctx, "rnn_forward", "rnn_backward")
    layer = LAYER_BY_FUNCTION["rnn_forward"]
    T, alpha = seq_length(ctx), CLOSED_FORM_ALPHA
    D, H = decay.DIMS["D"], decay.DIMS["H"]
    rng = ctx.rng("dynamics", "closed_form", T)
    inputs = {"x": np.zeros((1, T, D)), "h0": np.zeros((1, H)), "Wx": rng.standard_normal((D, H)) / math.sqrt(D),
              "Wh": alpha * decay.orthogonal(rng, H), "b": np.zeros(H)}
    dh = decay.last_step_upstream(rng, (1, T, H))
    extra = f"x = 0, h0 = 0, b = 0, W_h = {alpha:g}·Q (Q orthogonal)"
    ref_h, ref_cache = layer.reference()[0](*[inputs[n] for n in layer.input_names])
    ref_log = float(decay.log_norms(layer.reference()[1](dh, ref_cache)[1])[0])
    expected = T * math.log(alpha)
    metrics = {"T": T, "alpha": alpha, "expected_log_norm": expected, "reference_log_norm": ref_log,
               "decay_rate": None, "reference_decay_rate": ref_log / T, "rho": None, "half_life": None,
               "bound": math.log(alpha), "tolerance": CLOSED_FORM_TOL}
    h, grads, fcall, bcall, bad = run_student(ctx, layer, inputs, dh, extra)
    if bad:
        return Verdict("failed", bad, CARRY_HINTS["rnn"], metrics, bcall)
    problem = decay.array_problem("dh0", grads[1], (1, H))
    if problem:
        return Verdict("failed", f"{bcall}: {problem}", CARRY_HINTS["rnn"], metrics, bcall)
    got = float(decay.log_norms(grads[1])[0])
    expected_text = f"{alpha:g}^{T} = {math.exp(expected):.6g}"
    if not math.isfinite(got):
        msg = (f"{bcall}: dh0 is all zeros, expected ||dh0|| = {expected_text}: with zero inputs, h0 = 0 and b = 0 "
               "every tanh' is 1, so the gradient reaching h0 is the unit upstream vector times W_h^T, T times.")
        return Verdict("failed", msg, CARRY_HINTS["rnn"], metrics, bcall)
    fit = decay.Fit(got / T)
    metrics.update(decay_rate=fit.b, rho=fit.rho, half_life=fit.half_life, got_log_norm=got,
                   log_error=abs(got - expected))
    rel = math.expm1(abs(got - expected))
    if abs(got - expected) <= CLOSED_FORM_TOL:
        return Verdict("passed", f"{extra}, T={T}: ||dL/dh0|| = {math.exp(got):.10g}, exactly {expected_text} "
                       f"(relative error {fmt(rel)}, tolerance {fmt(CLOSED_FORM_TOL)}): with every tanh' equal to 1 "
                       "the gradient is the upstream vector times W_h^T, T times.", metrics=metrics)
    steps = (got - expected) / math.log(alpha)
    off = ""
    if abs(steps - round(steps)) < 1e-6 and round(steps) != 0:
        n = T + int(round(steps))
        off = f" That is {alpha:g}^{n}: your backward applies W_h^T {n} times instead of {T}."
    msg = (f"{bcall}: ||dh0|| is {math.exp(got):.10g}, expected exactly {expected_text} (relative error {fmt(rel)}, "
           f"tolerance {fmt(CLOSED_FORM_TOL)}): with zero inputs, h0 = 0 and b = 0 every tanh' is 1, so the gradient "
           f"reaching h0 is the unit upstream vector times W_h^T, T times.{off}")
    return Verdict("failed", msg, CARRY_HINTS["rnn"], metrics, bcall)


# ---------------------------------------------------------------- finite on large inputs


def finite_check(arch: str):
    """The forward stays finite when the pre-activations grow to ~2000 along a long sequence."""

    def run(ctx: Context) -> Verdict:
        forward = f"{arch}_forward"
        require(ctx, forward)
        layer = LAYER_BY_FUNCTION[forward]
        T = seq_length(ctx)
        rng = ctx.rng("dynamics", "finite", arch, T)
        inputs = decay.regime_inputs(rng, decay.Regime("finite", arch, "init", 0.0), T)
        inputs["x"] = inputs["x"] * (10.0 ** (LARGE_INPUT_DECADES * np.arange(T) / (T - 1)))[None, :, None]
        extra = f"inputs growing from 1 to 10^{LARGE_INPUT_DECADES} times the usual size along the sequence"
        dims = _dims(T)
        fcall = call_text(forward, dims, extra)
        (h,), _ = _forward(ctx, layer, inputs, fcall, keep_cache=False)
        warned = [w for w in ctx.last_warnings if "overflow" in w or "invalid value" in w]
        bad = _not_finite_array(h, "h", (dims["N"], T, dims["H"]), fcall, forward=True)
        metrics = {"T": T}
        if bad:
            hint = ("An activation written with np.exp overflows for large inputs: use np.tanh, and a sigmoid that "
                    "never calls np.exp of a large positive number (e.g. np.exp(-np.logaddexp(0, -a))). "
                    + NON_FINITE_HINT)
            nf = decay.first_nonfinite_step(h) if isinstance(h, np.ndarray) else None
            where = ""
            if nf is not None:
                peak = float(_pre_activation_peaks(inputs, h)[nf.t])
                metrics.update(first_nonfinite_step=nf.t, pre_activation_at_step=peak)
                where = f"; the largest |pre-activation| x_t Wx + h_(t-1) Wh + b at that step is {peak:.4g}"
                where += (" (np.exp overflows above 709, so exp(2a) above a = 354)" if peak > 300 else
                          ", far from overflowing, so look for a step that is never computed")
                if warned:
                    where += f"; numpy warned: {warned[0]}"
            return Verdict("failed", bad + where + ".", hint, metrics, fcall)
        peak = float(np.max(_pre_activation_peaks(inputs, h)))
        metrics["largest_pre_activation"] = peak
        note = f" numpy warned: {warned[0]} (harmless here, but a sign of an unstable formula)." if warned else ""
        return Verdict("passed", f"{forward} stays finite with pre-activations up to {peak:.4g} ({extra}).{note}",
                       metrics=metrics)

    return run


def _pre_activation_peaks(inputs: dict, h: np.ndarray) -> np.ndarray:
    """Per step, the largest |x_t Wx + h_(t-1) Wh + b| over the batch and all gate blocks, from the student's
    own hidden states (steps after the first non-finite one give NaN)."""
    prev = np.concatenate([inputs["h0"][:, None], h[:, :-1]], axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.abs(np.einsum("ntd,dg->ntg", inputs["x"], inputs["Wx"]) + np.einsum("nth,hg->ntg", prev, inputs["Wh"])
                   + inputs["b"])
    return np.max(a, axis=(0, 2))


# ---------------------------------------------------------------- the provider


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, list[CheckDef]]:
    from .clip_dynamics import clip_dynamics_checks  # it imports this module

    table: dict[str, list[CheckDef]] = {}
    for arch in ("rnn", "lstm", "gru"):
        table[f"{arch}_forward"] = [CheckDef("dynamics", f"{arch}_forward", "finite_large_inputs", "dynamics",
                                             finite_check(arch))]
        table[f"{arch}_backward"] = [CheckDef("dynamics", r.backward, r.name, "dynamics", decay_check(r))
                                     for r in decay.REGIMES if r.arch == arch]
    table["rnn_backward"].append(CheckDef("dynamics", "rnn_backward", "closed_form_alpha_pow_t", "dynamics",
                                          closed_form_check))
    for c in clip_dynamics_checks():
        table.setdefault(c.function, []).append(c)
    return table


def dynamics_checks(function: str) -> list[CheckDef]:
    """The dynamics checks of one function (PROVIDERS["dynamics"]); KeyError for an unknown one."""
    return _table()[function]
