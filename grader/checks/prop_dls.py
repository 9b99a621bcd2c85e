"""Property checks of the Coursera DLS profile (grader/dls.py, docs/dls.md).

The same properties for a DlsLayer (grader/dls.py): the student's functions are called in the DLS
layout (batch on axis 1, time last, a parameters dict, a gradient dict) and every message and
reproduction snippet uses the DLS names (the snippet's inputs: DlsLayer.snippet_inputs).
"""

from __future__ import annotations

import numpy as np

from .base import CheckDef, Context, Verdict
from .prop_layers import raise_not_finite
from .properties import PropertyFailed, _bwd, _fwd, _inputs, _same, _upstream, diff, layer_search


def _dls_batch_args(layer) -> list[str]:
    return [n for n, s in layer.inputs if len(s) > 1 and s[1] == "N"]


def _dls_print(expr: str, comment: str = "should be 0") -> str:
    return f"print({expr})  # {comment}"


def dls_deterministic(layer):
    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex)
            first, _ = _fwd(ctx, layer, inputs)
            second, _ = _fwd(ctx, layer, inputs)
            for k, (name, a, b) in enumerate(zip(layer.output_names, first, second)):
                if not np.array_equal(a, b, equal_nan=True):
                    raise PropertyFailed(
                        f"calling it twice with the same inputs gives different {name} ({diff(a, b)})",
                        [layer.snippet_call(), f"again = {layer.forward}({layer.snippet_args()})",
                         _dls_print(f"np.abs({name} - again[{k}]).max()")],
                        bug="shared-state", evidence=f"two identical calls returned different {name}")

        return layer_search(ctx, layer, layer.forward, body,
                            "Use no randomness and keep no state between calls (module-level variables).",
                            "the same call twice gives identical results")
    return run


def dls_batch_independent(layer):
    batch = _dls_batch_args(layer)

    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex)
            full, _ = _fwd(ctx, layer, inputs)
            perm = np.arange(ex.dims["N"])[::-1]
            permuted, _ = _fwd(ctx, layer, {k: (v[:, perm] if k in batch else v) for k, v in inputs.items()})
            for k, (name, a, b) in enumerate(zip(layer.output_names, full, permuted)):
                if not _same(a[:, perm], b):
                    raise PropertyFailed(
                        f"reversing the order of the examples (axis 1, m) does not reverse the columns of {name} ("
                        f"{diff(a[:, perm], b)}): examples influence each other",
                        [f"perm = np.arange({layer.data_names[0]}.shape[1])[::-1]", layer.snippet_call(),
                         f"out_perm = {layer.forward}({layer.snippet_args(transform=lambda n: n + '[:, perm]')})",
                         _dls_print(f"np.abs({name}[:, perm] - out_perm[{k}]).max()")])
            alone, _ = _fwd(ctx, layer, {k: (v[:, :1] if k in batch else v) for k, v in inputs.items()})
            for k, (name, a, b) in enumerate(zip(layer.output_names, full, alone)):
                if not _same(a[:, :1], b):
                    wrong_shape = b.shape != a[:, :1].shape
                    raise PropertyFailed(
                        f"example 0 computed alone (m=1) differs from the same example inside the batch in {name} "
                        + (f"(shape {b.shape} instead of {a[:, :1].shape})" if wrong_shape
                           else f"({diff(a[:, :1], b)})"),
                        [layer.snippet_call(),
                         f"alone = {layer.forward}({layer.snippet_args(transform=lambda n: n + '[:, :1]')})",
                         f"print(alone[{k}].shape, 'vs', {name}[:, :1].shape)  # shapes should match",
                         _dls_print(f"np.abs({name}[:, :1] - alone[{k}]).max()")],
                        bug="batch-of-one" if wrong_shape else "",
                        evidence=f"with a batch of m={ex.dims['N']} it works; with m=1 {name} has shape {b.shape}")

        return layer_search(ctx, layer, layer.forward, body,
                            "Treat every example (column, axis 1) the same way and never mix them: no sums, means or "
                            "max over axis 1 in a forward (the softmax is over axis 0, the classes), and no np.squeeze "
                            "without an axis.",
                            "each example's output depends only on that example (permuted and single-example batches "
                            "agree)", min_n=2)
    return run


def _dls_upstream_lines(layer, ex, seed_offset: int, tags: tuple[str, ...]) -> list[str]:
    """Lines that redraw the upstream gradients ``_upstream`` draws, one set per tag, in the same order."""
    shapes = layer.shapes(ex.dims)
    lines = [f"up = np.random.default_rng({ex.seed + seed_offset})  # the grader's upstream gradients"]
    for tag in tags:
        lines += [f"{u}{tag} = up.standard_normal({shapes[o]})" for u, o in layer.loss_pairs]
    return lines


def _dls_backward_call(layer, tag: str, upstream_expr=None, suffix: str = "") -> str:
    ups = [upstream_expr(u) if upstream_expr else u + tag for u in layer.upstream_names]
    return f"{layer.backward}({', '.join(ups)}, {layer.forward}({layer.snippet_args(suffix)})[-1])"


def dls_linear_in_upstream(layer):
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
                        f"gradients[{name!r}] is not linear in the upstream gradient: {layer.backward} with "
                        f"2.5*{layer.upstream_names[0]}1 + {layer.upstream_names[0]}2 differs from 2.5 times its "
                        f"result for {layer.upstream_names[0]}1 plus its result for {layer.upstream_names[0]}2 "
                        f"({diff(x12, a * x1 + x2)})",
                        _dls_upstream_lines(layer, ex, 11, ("1", "2"))
                        + ["# a fresh forward cache for each backward call",
                           f"g1 = {_dls_backward_call(layer, '1')}",
                           f"g2 = {_dls_backward_call(layer, '2')}",
                           f"g12 = {_dls_backward_call(layer, '', lambda u: f'2.5 * {u}1 + {u}2')}",
                           _dls_print(f"np.abs(g12[{name!r}] - (2.5 * g1[{name!r}] + g2[{name!r}])).max()")])

        return layer_search(ctx, layer, layer.backward, body,
                            "A backward multiplies the upstream gradient by fixed Jacobians: never add constants, "
                            "square the upstream, or start the carried gradient from ones.",
                            "the gradients are linear in the upstream gradient")
    return run


def dls_no_hidden_state(layer):
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
            cache = "caches" if layer.sequence else "cache"
            ups = lambda tag: ", ".join(u + tag for u in layer.upstream_names)  # noqa: E731
            for name, x, y in zip(layer.grad_names, ref_a, late_a):
                if not _same(x, y):
                    raise PropertyFailed(
                        f"after another forward/backward pair ran in between, the backward of the first call gives a "
                        f"different gradients[{name!r}] ({diff(x, y)}): something outside the {cache} "
                        "carries state between calls",
                        ["# inputs B: a second draw"] + layer.snippet_inputs(ex.dims, ex.seed + 1, suffix="_B")
                        + _dls_upstream_lines(layer, ex, 5, ("_A", "_B"))
                        + [f"alone = {layer.backward}({ups('_A')}, {layer.forward}({layer.snippet_args()})[-1])",
                           f"{cache}_A = {layer.forward}({layer.snippet_args()})[-1]",
                           f"{cache}_B = {layer.forward}({layer.snippet_args('_B')})[-1]",
                           f"{layer.backward}({ups('_B')}, {cache}_B)",
                           f"late = {layer.backward}({ups('_A')}, {cache}_A)",
                           _dls_print(f"np.abs(alone[{name!r}] - late[{name!r}]).max()")],
                        bug="shared-state",
                        evidence=f"{layer.backward} of call A changed when call B's forward/backward ran in between")

        return layer_search(ctx, layer, layer.backward, body,
                            f"Return everything the backward needs in the {'caches' if layer.sequence else 'cache'}; "
                            "keep no module-level state.",
                            "two forwards then their backwards in reverse order give the same gradients as one at a time")
    return run


def dls_causal(layer):
    x = layer.data_names[0]

    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex)
            t = ex.dims["T"] // 2
            full, _ = _fwd(ctx, layer, inputs)
            prefix, _ = _fwd(ctx, layer, dict(inputs, x=inputs["x"][:, :, :t]))
            for k, (name, a, b) in enumerate(zip(layer.output_names, full, prefix)):
                if not _same(a[:, :, :t], b):
                    raise PropertyFailed(
                        f"running only the first {t} step(s) ({x}[:, :, :{t}]) gives {name} different from the first "
                        f"{t} step(s) of the full run ({diff(a[:, :, :t], b)}): {name}[:, :, t] may depend only on "
                        f"{x}[:, :, :t+1] and a0",
                        [layer.snippet_call(),
                         f"prefix = {layer.forward}({layer.snippet_args(transform=lambda n: n + f'[:, :, :{t}]' if n == x else n)})",
                         _dls_print(f"np.abs({name}[:, :, :{t}] - prefix[{k}]).max()")])
            later = inputs["x"].copy()
            later[:, :, t:] = 0.0
            changed, _ = _fwd(ctx, layer, dict(inputs, x=later))
            for k, (name, a, b) in enumerate(zip(layer.output_names, full, changed)):
                if not _same(a[:, :, :t], b[:, :, :t]):
                    raise PropertyFailed(
                        f"changing only {x}[:, :, {t}:] changes {name}[:, :, :{t}] ({diff(a[:, :, :t], b[:, :, :t])}): "
                        "an earlier step may not depend on later inputs",
                        [layer.snippet_call(), f"x2 = {x}.copy()", f"x2[:, :, {t}:] = 0",
                         f"out2 = {layer.forward}({layer.snippet_args(transform=lambda n: 'x2' if n == x else n)})",
                         _dls_print(f"np.abs({name}[:, :, :{t}] - out2[{k}][:, :, :{t}]).max()")])

        return layer_search(ctx, layer, layer.forward, body,
                            "Loop t = 0 .. T_x-1 and compute a[:, :, t] from x[:, :, t] and a[:, :, t-1] only.",
                            "a[:, :, t] depends only on x[:, :, :t+1] (prefixes agree; later inputs do not leak back)",
                            min_t=2)
    return run


def _dls_chain_forward(ctx: Context, cell, inputs: dict, keep: bool):
    """The student's own cell forward, chained over time by the grader: {output name: stacked}, caches."""
    a = inputs["a0"]
    c = np.zeros_like(a)
    params = {k: inputs[k] for k in cell.param_names}
    outs, caches = {n: [] for n in cell.output_names}, []
    for t in range(inputs["x"].shape[2]):
        got, cache = _fwd(ctx, cell, dict(params, xt=inputs["x"][:, :, t], a_prev=a, c_prev=c), keep)
        named = dict(zip(cell.output_names, got))
        a, c = named["a_next"], named.get("c_next", c)
        for n in cell.output_names:
            outs[n].append(named[n])
        caches.append(cache)
    return {n: np.stack(v, axis=-1) for n, v in outs.items()}, caches


def _dls_chain_lines(layer, cell) -> list[str]:
    """Snippet lines: the student's cell forward chained over time (caches_t: the per-step caches)."""
    lstm = layer.lstm
    outs = "a_prev, c_prev, yt, cache_t" if lstm else "a_prev, yt, cache_t"
    args = "x[:, :, t], a_prev, c_prev, parameters" if lstm else "x[:, :, t], a_prev, parameters"
    return [f"# the same by hand: your {cell.forward} forward in time",
            "a_prev, c_prev, caches_t, steps = a0, np.zeros_like(a0), [], []" if lstm
            else "a_prev, caches_t, steps = a0, [], []",
            "for t in range(x.shape[2]):",
            f"    {outs} = {cell.forward}({args})",
            "    caches_t.append(cache_t)",
            "    steps.append((a_prev, yt" + (", c_prev))" if lstm else "))")]


def dls_forward_equals_steps(layer, cell):
    # the sequence output fed by each cell output
    pairs = {"a": "a_next", "c": "c_next", "y": "yt_pred", "y_pred": "yt_pred"}
    order = ("a_next", "yt_pred", "c_next")

    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex)
            full, _ = _fwd(ctx, layer, inputs)
            chained, _ = _dls_chain_forward(ctx, cell, inputs, keep=False)
            for k, (name, a) in enumerate(zip(layer.output_names, full)):
                b = chained[pairs[name]]
                if not _same(a, b):
                    j = order.index(pairs[name])
                    raise PropertyFailed(
                        f"{name} from {layer.forward} differs from chaining your own {cell.forward} over the "
                        f"{ex.dims['T']} step(s) ({diff(a, b)}): if your cell function is right, the bug is in the loop "
                        f"of {layer.forward} (the state passed between steps, the slice x[:, :, t], the start state"
                        + (", c starting at zeros)" if layer.lstm else ")"),
                        [layer.snippet_call()] + _dls_chain_lines(layer, cell)
                        + [f"chained = np.stack([s[{j}] for s in steps], axis=-1)",
                           _dls_print(f"np.abs({name} - chained).max()")])

        return layer_search(ctx, layer, layer.forward, body,
                            f"Write {layer.forward} as a loop that calls {cell.forward} once per time step, feeding "
                            "each a_next" + (" and c_next" if layer.lstm else "") + " into the next step.",
                            f"equals chaining your {cell.forward} over time")
    return run


def dls_backward_equals_steps(layer, cell):
    lstm = layer.lstm
    params = [g for g in layer.grad_names if g not in ("dx", "da0")]

    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex)
            da = _upstream(layer, ex.dims, np.random.default_rng(ex.seed + 7))["da"]
            _, cache = _fwd(ctx, layer, inputs, keep=True)
            grads = dict(zip(layer.grad_names, _bwd(ctx, layer, {"da": da}, cache)))
            _, caches = _dls_chain_forward(ctx, cell, inputs, keep=True)
            da_prev = dc_prev = np.zeros_like(da[:, :, 0])
            dxs, sums = [None] * len(caches), {}
            for t in reversed(range(len(caches))):
                g = dict(zip(cell.grad_names,
                             _bwd(ctx, cell, {"da_next": da[:, :, t] + da_prev, "dc_next": dc_prev}, caches[t])))
                dxs[t], da_prev, dc_prev = g["dxt"], g["da_prev"], g.get("dc_prev", dc_prev)
                for p in params:
                    sums[p] = g[p] if p not in sums else sums[p] + g[p]
            chained = dict(sums, dx=np.stack(dxs, axis=-1), da0=da_prev)
            for name in layer.grad_names:
                a, b = grads[name], chained[name]
                if not _same(a, b):
                    raise PropertyFailed(
                        f"gradients[{name!r}] from {layer.backward} differs from backpropagating through your own "
                        f"{cell.backward} step by step ({diff(a, b)}): if your cell backward is right, the bug is in "
                        f"the loop of {layer.backward} (carrying da_prev{' and dc_prev' if lstm else ''} from step t+1 "
                        "to step t, adding da[:, :, t], accumulating the weight gradients)",
                        _dls_upstream_lines(layer, ex, 7, ("",))
                        + [f"gradients = {layer.backward}(da, {layer.forward}({layer.snippet_args()})[-1])"]
                        + _dls_chain_lines(layer, cell)
                        + [f"# and your {cell.backward} backward in time, carrying da_prev"
                           + (" and dc_prev" if lstm else ""),
                           "da_prevt, chained = np.zeros_like(a0), {'dx': np.zeros_like(x)}"
                           + ("; dc_prevt = np.zeros_like(a0)" if lstm else ""),
                           "for t in reversed(range(x.shape[2])):",
                           f"    g = {cell.backward}(da[:, :, t] + da_prevt, " + ("dc_prevt, " if lstm else "")
                           + "caches_t[t])",
                           "    da_prevt = g['da_prev']" + ("; dc_prevt = g['dc_prev']" if lstm else ""),
                           "    chained['dx'][:, :, t] = g['dxt']",
                           f"    for k in {tuple(params)!r}:",
                           "        chained[k] = chained.get(k, 0) + g[k]",
                           "chained['da0'] = da_prevt",
                           _dls_print(f"np.abs(gradients[{name!r}] - chained[{name!r}]).max()")])

        return layer_search(ctx, layer, layer.backward, body,
                            f"Write {layer.backward} as a reverse loop over {cell.backward}: at step t pass "
                            "da[:, :, t] + da_prevt" + (" and dc_prevt" if lstm else "") + " (what step t+1 sent back), "
                            "and sum the weight gradients over the steps.",
                            f"equals backpropagating through your {cell.backward} step by step")
    return run


def dls_stable(layer, backward: bool):
    function = layer.backward if backward else layer.forward
    x = layer.data_names[0]
    bounded = {"a_next", "a"}

    def run(ctx: Context) -> Verdict:
        def body(ex):
            inputs = _inputs(layer, ex, x_scale=1000.0)
            outs, cache = _fwd(ctx, layer, inputs, keep=backward)
            named = dict(zip(layer.output_names, outs))
            if backward:
                upstream = _upstream(layer, ex.dims, np.random.default_rng(ex.seed + 3))
                named = dict(zip(layer.grad_names, _bwd(ctx, layer, upstream, cache)))
            for name, o in named.items():
                shown = f"gradients[{name!r}]" if backward else name
                if not np.all(np.isfinite(o)):
                    tail = [layer.snippet_call()]
                    if backward:
                        tail = (_dls_upstream_lines(layer, ex, 3, ("",)) + tail
                                + [f"gradients = {layer.backward}({', '.join(layer.upstream_names)}, "
                                   f"{'caches' if layer.sequence else 'cache'})",
                                   _dls_print(f"np.isfinite(gradients[{name!r}]).all()", "should be True")])
                    else:
                        tail.append(_dls_print(f"np.isfinite({name}).all()", "should be True"))
                    raise_not_finite(ctx, layer, ex, backward, shown, tail, f"{x} = {x} / 1000")
                if not backward and name in bounded and np.max(np.abs(o)) > 1 + 1e-9:
                    raise PropertyFailed(f"{name} has entries of magnitude {np.max(np.abs(o)):.3g} > 1, impossible "
                                         "for a tanh- or gate-bounded state",
                                         [layer.snippet_call(), _dls_print(f"np.abs({name}).max()", "should be <= 1")])

        return layer_search(ctx, layer, function, body,
                            "Use np.tanh, a numerically stable sigmoid and a softmax that subtracts the max over axis 0; "
                            "never build them from np.exp directly.",
                            "outputs stay finite and bounded for pre-activations up to ~1e3", x_scale=1000.0)
    return run


def dls_property_checks(layer, cell=None) -> list[CheckDef]:
    """The property checks of a DLS layer (checks/registry.py's dls provider); ``cell``: the cell layer of
    a sequence layer (for equals_chained_steps)."""
    ex = layer.exercise
    out = [
        CheckDef(ex, layer.forward, "batch_independent", "property", dls_batch_independent(layer)),
        CheckDef(ex, layer.forward, "deterministic", "property", dls_deterministic(layer)),
        CheckDef(ex, layer.backward, "linear_in_upstream", "property", dls_linear_in_upstream(layer)),
        CheckDef(ex, layer.backward, "no_hidden_state", "property", dls_no_hidden_state(layer)),
        CheckDef(ex, layer.forward, "stable_large_inputs", "property", dls_stable(layer, backward=False)),
        CheckDef(ex, layer.backward, "stable_large_inputs", "property", dls_stable(layer, backward=True)),
    ]
    if layer.sequence:
        out.append(CheckDef(ex, layer.forward, "causal", "property", dls_causal(layer)))
        out.append(CheckDef(ex, layer.forward, "equals_chained_steps", "property", dls_forward_equals_steps(layer, cell)))
        out.append(CheckDef(ex, layer.backward, "equals_chained_steps", "property",
                            dls_backward_equals_steps(layer, cell)))
    return out
