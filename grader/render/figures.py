"""Figures of the HTML report as plain view data: an SVG string (from ``plots``), a caption and
an accessible table of the same numbers.

Input is only what the checks stored in ``CheckResult.metrics`` (lists of numbers), read
defensively: a result loaded from JSON, or one from an older grader, must never break the
report. ``plots`` imports matplotlib on first use, so a report without figures never loads it.
"""

from __future__ import annotations

import math

from grader.results import finite_or_none
from . import plots

__all__ = ["group_figure", "check_figure", "sci"]


def sci(x) -> str:
    """A number for a table: 0.594, 1.19e+24; NaN, inf and missing values as a dash."""
    x = finite_or_none(x)
    if x is None:
        return "—"
    return "0" if x == 0 else f"{x:.3g}"


def sci_log10(v) -> str:
    """10**v written out without computing it (v = -377.2 gives 6.31e-378, which float64 cannot hold)."""
    v = finite_or_none(v)
    if v is None:
        return "0"
    e = math.floor(v)
    m = 10 ** (v - e)
    if m >= 9.995:
        m, e = 1.0, e + 1
    return f"{m:.3g}e{e:+d}" if abs(e) >= 4 else f"{m * 10 ** e:.3g}"


def _list(v) -> list:
    return list(v) if isinstance(v, (list, tuple)) else []


def _regime(m: dict) -> str:
    knob, value = m.get("knob"), finite_or_none(m.get("value"))
    if knob == "alpha" and value is not None:
        return f"α = {value:g}"
    if knob == "forget_bias" and value is not None:
        return f"forget bias {value:g}"
    return "default init"


def group_figure(checks) -> dict | None:
    """One figure for all the decay checks of a function (one line per regime), or None."""
    series, names = [], []
    for c in checks:
        m = c.metrics if isinstance(c.metrics, dict) else {}
        curve = m.get("curve")
        if c.kind != "dynamics" or not isinstance(curve, dict) or not _list(curve.get("lag")):
            continue
        series.append({"knob": m.get("knob"), "value": m.get("value"), "lag": _list(curve.get("lag")),
                       "yours": _list(curve.get("yours")), "reference": _list(curve.get("reference")),
                       "bound": _list(curve.get("bound")), "bound_rate": curve.get("bound_rate")})
        names.append(_regime(m))
    if not series:
        return None
    series, names = series[:len(plots.REGIME_COLOURS)], names[:len(plots.REGIME_COLOURS)]
    svg = plots.decay_svg(series)
    if svg is None:
        return None
    lags = series[0]["lag"]
    head = ["lag k"]
    for n, s in zip(names, series):
        head += [f"{n}: yours", f"{n}: reference"] + ([f"{n}: bound"] if s["bound"] and _bounded(s) else [])
    rows = []
    for i, k in enumerate(lags):
        row = [str(k)]
        for s in series:
            row += [sci_log10(_at(s["yours"], i)), sci_log10(_at(s["reference"], i))]
            if s["bound"] and _bounded(s):
                row.append(sci_log10(_at(s["bound"], i)))
        rows.append(row)
    caption = ("Gradient norm against lag, loss on the last step only: the mean over the batch of ‖dx[n, t]‖ at "
               "lag k = T − 1 − t, on a log scale. Thin lines with dots are your code, thick pale lines the "
               "reference on the same inputs; where they coincide your backward carries the gradient exactly like "
               "the reference. A straight line means geometric decay (or growth) at the fitted rate b per step."
               + (" Dotted: the Pascanu bound ln σ_max(W_h) per step, which no correct tanh RNN can exceed."
                  if any(_bounded(s) for s in series) else ""))
    return {"svg": svg, "title": "Gradient norm against lag", "caption": caption, "head": head, "rows": rows}


def _bounded(s: dict) -> bool:
    rate = finite_or_none(s.get("bound_rate"))
    return rate is not None and rate < 0


def _at(values, i):
    return values[i] if 0 <= i < len(values) else None


def check_figure(metrics: dict, kind: str) -> dict | None:
    """The figure of one check: clipping before/after, or the training loss curve; None otherwise."""
    m = metrics if isinstance(metrics, dict) else {}
    if kind == "dynamics" and isinstance(m.get("clip_curve"), dict):
        return _clip_figure(m["clip_curve"])
    if kind == "training" and isinstance(m.get("loss_curve"), dict):
        return _loss_figure(m)
    return None


def _clip_figure(curve: dict) -> dict | None:
    lengths = _list(curve.get("length"))
    before, after, cos = _list(curve.get("before")), _list(curve.get("after")), _list(curve.get("cosine"))
    if curve.get("kind") == "value":
        svg = plots.clip_value_svg(curve)
        ref = _list(curve.get("reference_cosine"))
        head = ["sequence length L", "norm before", "norm after yours", "cosine, yours", "cosine, np.clip"]
        rows = [[str(L), sci(_at(before, i)), sci(_at(after, i)), sci(_at(cos, i)), sci(_at(ref, i))]
                for i, L in enumerate(lengths)]
        caption = ("Clipping by value (every entry to [−c, c], as the sine-wave tutorial does) changes the "
                   "gradient's direction more and more as it explodes: the cosine with the unclipped gradient drops "
                   "below 1. Clipping by norm keeps it at exactly 1.")
        title = "Clipping by value: direction"
    else:
        svg = plots.clip_norm_svg(curve)
        head = ["sequence length L", "norm before", "norm after yours", "cosine with before"]
        rows = [[str(L), sci(_at(before, i)), sci(_at(after, i)), sci(_at(cos, i))] for i, L in enumerate(lengths)]
        caption = ("The exploding regime: the global gradient norm grows geometrically with the sequence length "
                   "(a straight line on this log scale). After clip_grad_norm it stays at the threshold, and the "
                   "cosine with the unclipped gradient stays 1: the direction is kept.")
        title = "Clipping by norm: before and after"
    if svg is None:
        return None
    return {"svg": svg, "title": title, "caption": caption, "head": head, "rows": rows}


def _loss_figure(m: dict) -> dict | None:
    curve = m["loss_curve"]
    yours, ref = _list(curve.get("yours")), _list(curve.get("reference"))
    svg = plots.loss_svg(curve, m.get("threshold"), m.get("val_rmse"), m.get("reference_val_rmse"))
    if svg is None:
        return None

    def rmse(v):
        v = finite_or_none(v)
        return sci(math.sqrt(2 * v)) if v is not None and v >= 0 else "—"

    n = max(len(yours), len(ref))
    every = max(1, n // 25)
    rows = [[str(i), rmse(_at(yours, i)), rmse(_at(ref, i))] for i in range(0, n, every)]
    if n and (n - 1) % every:
        rows.append([str(n - 1), rmse(_at(yours, n - 1)), rmse(_at(ref, n - 1))])
    rows.append(["validation", sci(m.get("val_rmse")), sci(m.get("reference_val_rmse"))])
    caption = (f"Training RMSE per step (the square root of twice the loss on that step's batch) with your "
               f"rnn_forward/rnn_backward and with the reference's, same seeds; the dots at the end are the "
               f"validation RMSE, which must be at most {sci(m.get('threshold'))} (dashed). A wrong backward shows up "
               "as a curve that stalls high.")
    return {"svg": svg, "title": "Training curve", "caption": caption,
            "head": ["step", "RMSE, yours", "RMSE, reference"], "rows": rows}
