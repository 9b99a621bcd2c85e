"""Check for ``rnn_backward_truncated``: the student's cache comes from the student's own
``rnn_forward``, so the check first confirms that forward is right on the same input."""

from __future__ import annotations

import reference

from ..diagnoses.detect import Evidence
from ..spec import LAYER_BY_FUNCTION, call_text
from . import cases
from .base import CheckDef, Context, Skip, Verdict, unpack
from .compare import compare, fmt
from .layers import _forward
from .localise import describe_location, localise

DIMS = {"N": 2, "T": 6, "D": 3, "H": 4}
WINDOWS = (0, 1, 3, 6, 10)


def tbptt_check(ctx: Context) -> Verdict:
    layer = LAYER_BY_FUNCTION["rnn_forward"]
    inputs = cases.random_inputs(ctx.rng("tbptt"), layer, DIMS)
    fwd_call = call_text("rnn_forward", DIMS)
    outs, cache = _forward(ctx, layer, inputs, fwd_call)
    h_ref, ref_cache = reference.rnn_forward(*[inputs[n] for n in layer.input_names])
    if not compare("h", outs[0], h_ref, ctx.tol("forward")).ok:
        raise Skip("rnn_backward_truncated uses the cache of your rnn_forward, which does not match the reference "
                   "yet: fix rnn_forward first")
    dh = cases.upstream(ctx, layer, DIMS, "tbptt")["dh"]
    worst = 0.0
    for truncate in WINDOWS:
        call = call_text("rnn_backward_truncated", DIMS, f"truncate={truncate}")
        # the cache is reused for every window: the API promises backward does not consume it
        grads = unpack(ctx.call("rnn_backward_truncated", [dh, cache, truncate], call), 5)
        expected = reference.rnn_backward_truncated(dh, ref_cache, truncate)
        for name, got, exp in zip(layer.grad_names, grads, expected):
            c = compare(name, got, exp, ctx.tol("gradient"))
            if not c.ok:
                metrics = {"truncate": truncate, "array": name, **c.metrics()}
                if c.got is not None:
                    metrics.update(localise(name, c.got, exp, 1, True))
                where = describe_location(name, metrics)
                evidence = Evidence("rnn_backward_truncated", "tbptt", inputs, {"dh": dh},
                                    dict(zip(layer.grad_names, grads)), dict(zip(layer.grad_names, expected)),
                                    {"truncate": truncate})
                return Verdict(
                    "failed",
                    f"{call}: {c.describe(ctx.tol('gradient'))}" + (f"; {where}" if where else ""),
                    "The loss at step t may reach h_s only for s <= t <= s + truncate: backpropagate each dh[:, t] "
                    "through at most `truncate` earlier steps (truncate=0: no gradient between steps; h0 is step -1).",
                    metrics,
                    call,
                    evidence,
                )
            worst = max(worst, c.rel_error)
    ctx.drop([cache])
    return Verdict("passed", f"matches the reference for truncate in {list(WINDOWS)} (worst relative error {fmt(worst)})",
                   metrics={"rel_error": worst})


def tbptt_checks() -> list[CheckDef]:
    return [CheckDef("tbptt", "rnn_backward_truncated", "matches_reference", "gradient", tbptt_check)]
