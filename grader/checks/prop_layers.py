"""Properties of the RNN / LSTM / GRU forward and backward functions (see properties.py)."""

from __future__ import annotations

import numpy as np

from ..spec import LAYERS, Layer
from .base import CheckDef, Context, Verdict
from .properties import PropertyFailed, _bwd, _call_line, _fwd, _inputs, _same, _upstream, diff, layer_search


def _batch_args(layer: Layer) -> list[str]:
    return [n for n, s in layer.inputs if s[0] == "N"]


def batch_independent(layer: Layer):
    batch = _batch_args(layer)

    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex)
            full, _ = _fwd(ctx, layer, inputs)
            perm = np.arange(ex.dims["N"])[::-1]
            permuted, _ = _fwd(ctx, layer, {k: (v[perm] if k in batch else v) for k, v in inputs.items()})
            for name, a, b in zip(layer.output_names, full, permuted):
                if not _same(a[perm], b):
                    raise PropertyFailed(
                        f"reversing the order of the batch does not reverse the rows of {name} ("
                        f"{diff(a[perm], b)}): samples influence each other",
                        ["perm = np.arange(x.shape[0])[::-1]", _call_line(layer),
                         f"out_perm = {layer.forward}({', '.join(n + '[perm]' if n in batch else n for n in layer.input_names)})",
                         f"print(np.abs({layer.output_names[0]}[perm] - out_perm[0]).max())  # should be 0"])
            alone, _ = _fwd(ctx, layer, {k: (v[:1] if k in batch else v) for k, v in inputs.items()})
            for name, a, b in zip(layer.output_names, full, alone):
                if not _same(a[:1], b):
                    wrong_shape = b.shape != a[:1].shape
                    raise PropertyFailed(
                        f"sample 0 computed alone (N=1) differs from the same sample inside the batch in {name} "
                        + (f"(shape {b.shape} instead of {a[:1].shape})" if wrong_shape
                           else f"({diff(a[:1], b)})"),
                        [_call_line(layer),
                         f"alone = {layer.forward}({', '.join(n + '[:1]' if n in batch else n for n in layer.input_names)})",
                         f"print(alone[0].shape, 'vs', {layer.output_names[0]}[:1].shape)  # shapes should match",
                         f"print(np.abs({layer.output_names[0]}[:1] - alone[0]).max())  # should be 0"],
                        bug="batch-of-one" if wrong_shape else "",
                        evidence=f"with a batch of N={ex.dims['N']} it works; with N=1 {name} has shape {b.shape}")

        return layer_search(ctx, layer, layer.forward, body,
                            "Treat every row of the batch the same way and never mix rows: no sums or means over axis 0 "
                            "in a forward, and no np.squeeze without an axis.",
                            "each sample's output depends only on that sample (permuted and single-sample batches agree)",
                            min_n=2)
    return run


def deterministic(layer: Layer):
    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex)
            first, _ = _fwd(ctx, layer, inputs)
            second, _ = _fwd(ctx, layer, inputs)
            for name, a, b in zip(layer.output_names, first, second):
                if not np.array_equal(a, b, equal_nan=True):
                    raise PropertyFailed(
                        f"calling it twice with the same inputs gives different {name} ("
                        f"{diff(a, b)})",
                        [_call_line(layer), f"again = {layer.forward}({', '.join(layer.input_names)})",
                         f"print(np.abs({layer.output_names[0]} - again[0]).max())  # should be 0"],
                        bug="shared-state", evidence=f"two identical calls returned different {name}")

        return layer_search(ctx, layer, layer.forward, body,
                            "Use no randomness and keep no state between calls (module-level variables).",
                            "the same call twice gives identical results")
    return run


def causal(layer: Layer):
    rest = ", ".join(layer.input_names[1:])

    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex)
            t = ex.dims["T"] // 2
            (h,), _ = _fwd(ctx, layer, inputs)
            (h_prefix,), _ = _fwd(ctx, layer, dict(inputs, x=inputs["x"][:, :t]))
            if not _same(h[:, :t], h_prefix):
                raise PropertyFailed(
                    f"running only the first {t} step(s) (x[:, :{t}]) gives h different from the first {t} step(s) of "
                    f"the full run ({diff(h[:, :t], h_prefix)}): h[:, t] may depend "
                    f"only on x[:, :t+1] and h0",
                    [_call_line(layer), f"h_prefix, _ = {layer.forward}(x[:, :{t}], {rest})",
                     f"print(np.abs(h[:, :{t}] - h_prefix).max())  # should be 0"])
            later = inputs["x"].copy()
            later[:, t:] = 0.0
            (h_later,), _ = _fwd(ctx, layer, dict(inputs, x=later))
            if not _same(h[:, :t], h_later[:, :t]):
                raise PropertyFailed(
                    f"changing only x[:, {t}:] changes h[:, :{t}] ("
                    f"{diff(h[:, :t], h_later[:, :t])}): an earlier state may not depend on later inputs",
                    [_call_line(layer), "x2 = x.copy()", f"x2[:, {t}:] = 0", f"h2, _ = {layer.forward}(x2, {rest})",
                     f"print(np.abs(h[:, :{t}] - h2[:, :{t}]).max())  # should be 0"])

        return layer_search(ctx, layer, layer.forward, body,
                            "Loop t = 0 .. T-1 and compute h[:, t] from x[:, t] and h[:, t-1] only.",
                            "h[:, t] depends only on x[:, :t+1] (prefixes agree; later inputs do not leak back)", min_t=2)
    return run


def finite_at_scale_one(ctx: Context, layer: Layer, ex, backward: bool) -> bool:
    """Only an overflow at large inputs is `unstable-activation`; NaN everywhere is another bug."""
    outs, cache = _fwd(ctx, layer, _inputs(layer, ex), keep=backward)
    if backward:
        outs = _bwd(ctx, layer, _upstream(layer, ex.dims, np.random.default_rng(ex.seed + 3)), cache)
    return all(np.all(np.isfinite(o)) for o in outs)


def raise_not_finite(ctx: Context, layer: Layer, ex, backward: bool, shown: str, tail: list[str], rescale: str):
    """The failure of `stable_large_inputs` for an output or gradient ``shown`` with NaN or inf at ~1e3."""
    warnings = "; ".join(ctx.last_warnings)
    if not finite_at_scale_one(ctx, layer, ex, backward):
        raise PropertyFailed(f"{shown} contains NaN or inf even for ordinary inputs",
                             [f"{rescale}  # ordinary inputs: it fails already"] + tail)
    raise PropertyFailed(
        f"with inputs of about 1e3 (pre-activations of that size), {shown} contains NaN or inf"
        + (f" (the worker reported: {warnings})" if warnings else ""), tail,
        bug="unstable-activation",
        evidence=f"{shown} is finite for ordinary inputs but not at pre-activations of ~1e3"
        + (f"; {warnings}" if warnings else ""))


def stable(layer: Layer, backward: bool):
    function = layer.backward if backward else layer.forward

    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex, x_scale=1000.0)
            outs, cache = _fwd(ctx, layer, inputs, keep=backward)
            named = dict(zip(layer.output_names, outs))
            if backward:
                upstream = _upstream(layer, ex.dims, np.random.default_rng(ex.seed + 3))
                named = dict(zip(layer.grad_names, _bwd(ctx, layer, upstream, cache)))
            for name, o in named.items():
                if not np.all(np.isfinite(o)):
                    tail = [_call_line(layer)]
                    if backward:
                        tail += [f"{', '.join(layer.upstream_names)} = "
                                 + ", ".join(f"np.ones_like({n})" for n in layer.output_names) + ("," if len(layer.outputs) == 1 else ""),
                                 f"grads = {layer.backward}({', '.join(layer.upstream_names)}, cache)",
                                 "print([np.isfinite(g).all() for g in grads])  # should be all True"]
                    else:
                        tail.append(f"print(np.isfinite({name}).all())  # should be True")
                    raise_not_finite(ctx, layer, ex, backward, name, tail, "x = x / 1000")
                if name in ("next_h", "h") and np.max(np.abs(o)) > 1 + 1e-9:
                    raise PropertyFailed(f"{name} has entries of magnitude {np.max(np.abs(o)):.3g} > 1, impossible for "
                                         "a tanh- or gate-bounded state",
                                         [_call_line(layer), f"print(np.abs({name}).max())  # should be <= 1"])

        return layer_search(ctx, layer, function, body,
                            "Use np.tanh and a numerically stable sigmoid; never build them from np.exp directly.",
                            "outputs stay finite and bounded for pre-activations up to ~1e3", x_scale=1000.0)
    return run


def linear_in_upstream(layer: Layer):
    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex)
            rng = np.random.default_rng(ex.seed + 11)
            g1, g2 = _upstream(layer, ex.dims, rng), _upstream(layer, ex.dims, rng)
            a = 2.5
            caches = [_fwd(ctx, layer, inputs, keep=True)[1] for _ in range(3)]  # one cache per backward call
            b1 = _bwd(ctx, layer, g1, caches[0])
            b2 = _bwd(ctx, layer, g2, caches[1])
            b12 = _bwd(ctx, layer, {k: a * g1[k] + g2[k] for k in g1}, caches[2])
            for name, x1, x2, x12 in zip(layer.grad_names, b1, b2, b12):
                if not _same(x12, a * x1 + x2):
                    raise PropertyFailed(
                        f"{name} is not linear in the upstream gradient: backward(2.5*g1 + g2) differs from "
                        f"2.5*backward(g1) + backward(g2) ({diff(x12, a * x1 + x2)})",
                        ["# call your backward with g1, g2 and 2.5*g1 + g2 (a fresh forward cache for each)"])

        return layer_search(ctx, layer, layer.backward, body,
                            "A backward multiplies the upstream gradient by fixed Jacobians: never add constants, "
                            "square the upstream, or start from ones.",
                            "the gradients are linear in the upstream gradient")
    return run


def no_hidden_state(layer: Layer):
    def run(ctx: Context) -> Verdict:
        def body(ex):
            a_in = _inputs(layer, ex)
            b_in = _inputs(layer, type(ex)(ex.dims, ex.seed + 1))
            rng = np.random.default_rng(ex.seed + 5)
            ga, gb = _upstream(layer, ex.dims, rng), _upstream(layer, ex.dims, rng)
            _, ca = _fwd(ctx, layer, a_in, keep=True)
            ref_a = _bwd(ctx, layer, ga, ca)  # forward A, backward A right away
            _, ca = _fwd(ctx, layer, a_in, keep=True)
            _, cb = _fwd(ctx, layer, b_in, keep=True)
            _bwd(ctx, layer, gb, cb)
            late_a = _bwd(ctx, layer, ga, ca)  # forward A, forward B, backward B, backward A
            for name, x, y in zip(layer.grad_names, ref_a, late_a):
                if not _same(x, y):
                    raise PropertyFailed(
                        f"after another forward/backward pair ran in between, the backward of the first call gives a "
                        f"different {name} ({diff(x, y)}): something outside the cache "
                        "carries state between calls",
                        ["outA = " + layer.forward + "(...inputs A...); outB = " + layer.forward + "(...inputs B...)",
                         f"# {layer.backward}(gB, cacheB) then {layer.backward}(gA, cacheA): compare with running A alone"],
                        bug="shared-state",
                        evidence=f"{layer.backward} of call A changed when call B's forward/backward ran in between")

        return layer_search(ctx, layer, layer.backward, body,
                            "Return everything the backward needs in the cache; keep no module-level state.",
                            "two forwards then their backwards in reverse order give the same gradients as one at a time")
    return run


def _chain_forward(ctx: Context, step: Layer, inputs: dict, keep: bool):
    """The student's own step forward, chained over time by the grader."""
    lstm = step.exercise == "lstm"
    h = inputs["h0"]
    c = np.zeros_like(h)
    hs, caches = [], []
    for t in range(inputs["x"].shape[1]):
        step_inputs = dict(x=inputs["x"][:, t], prev_h=h, prev_c=c, Wx=inputs["Wx"], Wh=inputs["Wh"], b=inputs["b"])
        outs, cache = _fwd(ctx, step, step_inputs, keep)
        h, c = (outs[0], outs[1]) if lstm else (outs[0], c)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), caches


def forward_equals_steps(layer: Layer, step: Layer):
    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex)
            (h,), _ = _fwd(ctx, layer, inputs)
            chained, _ = _chain_forward(ctx, step, inputs, keep=False)
            if not _same(h, chained):
                raise PropertyFailed(
                    f"{layer.forward} differs from chaining your own {step.forward} over the {ex.dims['T']} step(s) "
                    f"({diff(h, chained)}): if your step function is right, the bug is "
                    f"in the loop of {layer.forward} (the state passed between steps, the slice x[:, t], the start state)",
                    [_call_line(layer), f"# now call {step.forward} for t = 0 .. T-1 yourself and compare with h"])

        return layer_search(ctx, layer, layer.forward, body,
                            f"Write {layer.forward} as a loop that calls {step.forward} once per time step.",
                            f"equals chaining your {step.forward} over time")
    return run


def backward_equals_steps(layer: Layer, step: Layer):
    lstm = layer.exercise == "lstm"

    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex)
            dh = _upstream(layer, ex.dims, np.random.default_rng(ex.seed + 7))["dh"]
            _, cache = _fwd(ctx, layer, inputs, keep=True)
            grads = _bwd(ctx, layer, {"dh": dh}, cache)
            _, caches = _chain_forward(ctx, step, inputs, keep=True)
            dnext_h = dnext_c = np.zeros_like(dh[:, 0])
            dxs, dW = [None] * len(caches), None
            for t in reversed(range(len(caches))):
                g = _bwd(ctx, step, {"dnext_h": dh[:, t] + dnext_h, "dnext_c": dnext_c}, caches[t])
                if lstm:
                    dxs[t], dnext_h, dnext_c, *dparams = g
                else:
                    dxs[t], dnext_h, *dparams = g
                dW = dparams if dW is None else [a + b for a, b in zip(dW, dparams)]
            chained = [np.stack(dxs, axis=1), dnext_h, *dW]
            for name, a, b in zip(layer.grad_names, grads, chained):
                if not _same(a, b):
                    raise PropertyFailed(
                        f"{name} from {layer.backward} differs from backpropagating through your own {step.backward} "
                        f"step by step ({diff(a, b)}): if your step backward is right, "
                        f"the bug is in the loop of {layer.backward} (carrying dprev_h{'/dprev_c' if lstm else ''}, "
                        "adding dh[:, t], accumulating the weight gradients)",
                        [f"# run {step.backward} for t = T-1 .. 0 yourself, carrying dprev_h, and compare"])

        return layer_search(ctx, layer, layer.backward, body,
                            f"Write {layer.backward} as a reverse loop over {step.backward}, adding the carried "
                            "dprev_h to dh[:, t] and summing the weight gradients.",
                            f"equals backpropagating through your {step.backward} step by step")
    return run


def layer_property_checks(layer: Layer, step: Layer | None) -> list[CheckDef]:
    ex = layer.exercise
    out = [
        CheckDef(ex, layer.forward, "batch_independent", "property", batch_independent(layer)),
        CheckDef(ex, layer.forward, "deterministic", "property", deterministic(layer)),
        CheckDef(ex, layer.forward, "stable_large_inputs", "property", stable(layer, backward=False)),
        CheckDef(ex, layer.backward, "linear_in_upstream", "property", linear_in_upstream(layer)),
        CheckDef(ex, layer.backward, "no_hidden_state", "property", no_hidden_state(layer)),
        CheckDef(ex, layer.backward, "stable_large_inputs", "property", stable(layer, backward=True)),
    ]
    if layer.sequence:
        out.append(CheckDef(ex, layer.forward, "causal", "property", causal(layer)))
        out.append(CheckDef(ex, layer.forward, "equals_chained_steps", "property", forward_equals_steps(layer, step)))
        out.append(CheckDef(ex, layer.backward, "equals_chained_steps", "property", backward_equals_steps(layer, step)))
    return out


def all_layer_property_checks() -> list[CheckDef]:
    out = []
    for layer in LAYERS:
        step = next((s for s in LAYERS if s.exercise == layer.exercise and not s.sequence), None) if layer.sequence else None
        out.extend(layer_property_checks(layer, step))
    return out
