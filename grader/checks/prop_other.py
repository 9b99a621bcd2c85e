"""Properties of clipping, truncated BPTT, and the no-mutation property of every function."""

from __future__ import annotations

import numpy as np

from ..diagnoses.detect import Evidence
from ..spec import LAYER_BY_FUNCTION, PARAMETERS
from .base import CheckDef, Context, Skip, Verdict
from .compare import fmt, norm_rel_error
from .properties import PropertyFailed, _bwd, _fwd, _inputs, _same, layer_search, search
from .recorded import Strategy


def no_mutation(function: str, params: tuple[str, ...] | None = None, forward: str | None = None):
    """``params``/``forward``: the signature shown and the matching forward, for another API profile."""
    def run(ctx: Context) -> Verdict:
        if function not in ctx.functions:
            raise Skip(f"{function} is not defined in your file: not attempted")
        if function in ctx.not_attempted:
            raise Skip(ctx.not_attempted[function])
        # a backward is only reached through its forward: if that is not attempted, neither is this
        fwd = forward or ("rnn_forward" if function == "rnn_backward_truncated"
                          else getattr(LAYER_BY_FUNCTION.get(function), "forward", None))
        if function not in ctx.called and fwd in ctx.not_attempted:
            raise Skip(ctx.not_attempted[fwd])
        if function not in ctx.called:
            raise Skip(f"{function} did not return normally in any other check, so there is nothing to inspect")
        mutated = sorted(ctx.mutations.get(function, ()))
        if not mutated:
            return Verdict("passed", "leaves every input and upstream gradient unchanged")
        args = ", ".join(mutated)
        v = Verdict("failed",
                    f"{function}({', '.join(params or PARAMETERS[function])}) modified its argument(s) {args} in place. The grader "
                    "passed copies, so your values were graded as they are, but a caller that reuses its arrays gets "
                    "silently wrong numbers",
                    f"Copy before modifying, e.g. `{mutated[0]} = {mutated[0]}.copy()`, or write results into new arrays.",
                    {"mutated_inputs": mutated})
        v.evidence = Evidence(function, "property", extra={"bug": "mutates-input",
                                                           "evidence": f"after the call, {args} differed from what was passed",
                                                           **({"dialect": "dls"} if params else {})})
        return v
    return run


def _grads_strategy():
    from hypothesis import strategies as st

    shape = st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple)
    return st.fixed_dictionaries({
        "shapes": st.lists(shape, min_size=1, max_size=3),
        "scale": st.sampled_from([0.01, 1.0, 100.0]),
        "limit": st.sampled_from([0.5, 1.0, 10.0]),
        "seed": st.integers(0, 2**16),
    })


def _grads(ex: dict) -> dict:
    rng = np.random.default_rng(ex["seed"])
    return {f"g{i}": ex["scale"] * rng.standard_normal(s) for i, s in enumerate(ex["shapes"])}


def _grads_source(ex: dict) -> list[str]:
    lines = [f"rng = np.random.default_rng({ex['seed']})", "grads = {}"]
    lines += [f"grads['g{i}'] = {ex['scale']:g} * rng.standard_normal({tuple(s)})" for i, s in enumerate(ex["shapes"])]
    return lines


class _Ex:
    """Adapter so clipping examples can use ``search`` (which reports dims)."""

    def __init__(self, d: dict):
        self.d, self.dims, self.seed = d, {f"array{i}": list(s) for i, s in enumerate(d["shapes"])}, d["seed"]


GRADS_STRATEGY = Strategy(
    "clip_grads", lambda: _grads_strategy().map(_Ex),
    lambda e: {**e.d, "shapes": [list(s) for s in e.d["shapes"]]},
    lambda j: _Ex({k: [tuple(s) for s in v] if k == "shapes" else v for k, v in j.items()}))  # keys in the order drawn


def clip_norm_properties(ctx: Context) -> Verdict:
    def body(e):
        ex, grads = e.d, _grads(e.d)
        limit = ex["limit"]
        got, total = ctx.call("clip_grad_norm", [grads, limit], f"clip_grad_norm(grads, max_norm={limit:g})")
        flat_in = np.concatenate([g.ravel() for g in grads.values()])
        true = float(np.linalg.norm(flat_in))
        tail = [f"clipped, total = clip_grad_norm(grads, {limit:g})"]
        if not isinstance(got, dict) or set(got) != set(grads):
            raise PropertyFailed(f"returned keys {sorted(got) if isinstance(got, dict) else type(got).__name__}, "
                                 f"expected {sorted(grads)}", tail)
        if not isinstance(total, (int, float)) or abs(total - true) > 1e-9 * true:
            raise PropertyFailed(f"total_norm is {total}, but the global L2 norm of the input is {true:.6g}", tail + ["print(total)"])
        flat_out = np.concatenate([np.asarray(got[k], dtype=np.float64).ravel() for k in grads])
        out_norm = float(np.linalg.norm(flat_out))
        if true > limit:
            cos = float(flat_in @ flat_out) / (true * out_norm) if out_norm else 0.0
            if abs(out_norm - limit) > 1e-9 * limit or cos < 1 - 1e-12:
                raise PropertyFailed(
                    f"with total norm {true:.6g} > max_norm {limit:g}, the clipped gradients have norm {out_norm:.6g} "
                    f"(should be exactly {limit:g}) and cosine {cos:.9f} with the input (should be 1: the direction is kept)",
                    tail + ["flat = np.concatenate([g.ravel() for g in clipped.values()])", "print(np.linalg.norm(flat))"],
                    detect=Evidence("clip_grad_norm", "clip_norm", {"grads": grads, "max_norm": limit},
                                    student={k: np.asarray(v) for k, v in got.items()}, expected={}))
        elif norm_rel_error(flat_out, flat_in) > 1e-12:
            raise PropertyFailed(f"below the threshold (norm {true:.6g} <= {limit:g}) the gradients must come back "
                                 f"unchanged, but they changed (relative error {fmt(norm_rel_error(flat_out, flat_in))})", tail)

    def describe(e):
        return e.dims, _grads_source(e.d)

    return search(ctx, GRADS_STRATEGY, body, "clip_grad_norm",
                  "Measure ONE norm over all arrays; scale every array by max_norm / total_norm only when total_norm > max_norm.",
                  describe, "the clipped norm never exceeds max_norm, the direction is kept, and small gradients pass unchanged")


def clip_value_properties(ctx: Context) -> Verdict:
    def body(e):
        ex, grads = e.d, _grads(e.d)
        c = ex["limit"]
        (got,) = ctx.call("clip_grad_value", [grads, c], f"clip_grad_value(grads, clip_value={c:g})")
        tail = [f"clipped = clip_grad_value(grads, {c:g})"]
        if not isinstance(got, dict) or set(got) != set(grads):
            raise PropertyFailed(f"returned keys {sorted(got) if isinstance(got, dict) else type(got).__name__}, "
                                 f"expected {sorted(grads)}", tail)
        for k, g in grads.items():
            out = np.asarray(got[k], dtype=np.float64)
            if out.shape != g.shape or np.max(np.abs(out)) > c * (1 + 1e-12):
                raise PropertyFailed(f"clipped[{k!r}] has entries up to {np.max(np.abs(out)):.6g} > clip_value {c:g}", tail)
            inside = np.abs(g) <= c
            if not np.array_equal(out[inside], g[inside]):
                raise PropertyFailed(f"entries of {k!r} already inside [-{c:g}, {c:g}] were changed", tail)

    return search(ctx, GRADS_STRATEGY, body, "clip_grad_value",
                  "np.clip(g, -clip_value, clip_value) for every array, returned in a new dict.",
                  lambda e: (e.dims, _grads_source(e.d)),
                  "every entry ends up in [-clip_value, clip_value] and entries already inside are unchanged")


def tbptt_properties(ctx: Context) -> Verdict:
    layer = LAYER_BY_FUNCTION["rnn_forward"]

    def body(ex):
        inputs = _inputs(layer, ex)
        T = ex.dims["T"]
        dh = np.random.default_rng(ex.seed + 9).standard_normal(layer.shapes(ex.dims)["h"])
        _, cache = _fwd(ctx, layer, inputs, keep=True)

        def window(k):
            values = ctx.call("rnn_backward_truncated", [dh, cache, k], f"rnn_backward_truncated(dh, cache, truncate={k})")
            return [np.asarray(v, dtype=np.float64) for v in values]

        full = window(T)
        tail = ["h, cache = rnn_forward(x, h0, Wx, Wh, b)", f"dh = np.random.default_rng({ex.seed + 9}).standard_normal(h.shape)"]
        if "rnn_backward" in ctx.functions and "rnn_backward" not in ctx.not_attempted:
            _, cache2 = _fwd(ctx, layer, inputs, keep=True)
            bptt = _bwd(ctx, layer, {"dh": dh}, cache2)
            for name, a, b in zip(layer.grad_names, full, bptt):
                if not _same(a, b):
                    raise PropertyFailed(f"with truncate = T = {T} (no truncation) {name} differs from your own "
                                         f"rnn_backward (relative error {fmt(norm_rel_error(a, b))})", tail)
        for k in range(T):
            got = window(k)
            if k == 0 and np.any(got[1]):
                raise PropertyFailed("with truncate=0 no gradient may pass between steps, so dh0 must be zero, "
                                     f"but its largest entry is {np.max(np.abs(got[1])):.3g}", tail)
            exact_from = T - 1 - k  # steps s >= T-1-k already see every later loss within the window
            if not _same(got[0][:, exact_from:], full[0][:, exact_from:]):
                raise PropertyFailed(
                    f"with truncate={k}, dx[:, {exact_from}:] must equal the untruncated dx there (every later loss "
                    f"is within {k} steps), but differs by {fmt(norm_rel_error(got[0][:, exact_from:], full[0][:, exact_from:]))}",
                    tail + [f"dx_k = rnn_backward_truncated(dh, cache, {k})[0]",
                            f"dx_full = rnn_backward_truncated(dh, cache, {T})[0]",
                            f"print(np.abs(dx_k[:, {exact_from}:] - dx_full[:, {exact_from}:]).max())  # should be 0"])

    return layer_search(ctx, layer, "rnn_backward_truncated", body,
                        "The loss at step t reaches h_s only for t - truncate <= s <= t; h0 counts as step -1.",
                        "truncate >= T is full BPTT, truncate = 0 passes nothing between steps, and the window grows as it should",
                        min_t=2)


def other_property_checks() -> list[CheckDef]:
    return [
        CheckDef("clipping", "clip_grad_norm", "norm_bounded_direction_kept", "property", clip_norm_properties),
        CheckDef("clipping", "clip_grad_value", "entries_bounded", "property", clip_value_properties),
        CheckDef("tbptt", "rnn_backward_truncated", "window_properties", "property", tbptt_properties),
    ] + [CheckDef("", f, "no_mutation", "property", no_mutation(f)) for f in PARAMETERS]
