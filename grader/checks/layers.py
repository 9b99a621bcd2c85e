"""Checks for a forward/backward pair (RNN, LSTM, GRU; step and sequence).

- ``forward.matches_reference``: the forward on hidden seeded cases of several shapes.
- ``backward.matches_reference``: the student's backward, fed the student's OWN forward cache
  and a random upstream gradient, against the reference gradient. Skipped on a case where the
  student's forward is itself wrong, so one bug is never charged twice.
- ``backward.matches_fd``: the same backward against central differences of the student's OWN
  forward (so a wrong forward does not cost these points, and vice versa). Two random
  directions through all inputs at once (four forward calls in all); only when one disagrees, a
  probe per array (which gradient is wrong) and then the elementwise map (which entries).
"""

from __future__ import annotations

import numpy as np

from ..diagnoses.detect import Evidence
from ..sandbox.runner import CallOutcome
from ..spec import Layer
from . import cases
from .base import CallFailed, CheckDef, Context, Skip, Verdict, unpack
from .compare import compare, fmt
from .hints import forward_hint, gradient_hint
from .localise import describe_location, localise
from ..release.stub import ReferenceUnavailable

FD_MAP_MAX_ENTRIES = 400  # elementwise finite differences on larger arrays use a random subset


def _forward(ctx: Context, layer: Layer, inputs: dict, call: str, keep_cache: bool = True):
    returns = ["array"] * len(layer.outputs) + ["handle" if keep_cache else "drop"]
    values = ctx.call(layer.forward, layer.forward_args(inputs), call, returns,
                      expect=layer.returns_text(layer.forward))
    values = unpack(values, len(layer.outputs) + 1)
    return values[:-1], values[-1]


def _backward(ctx: Context, layer: Layer, upstream: dict, cache, call: str) -> list:
    """The student's backward; the gradients in ``layer.grad_names`` order."""
    values = ctx.call(layer.backward, [upstream[n] for n in layer.upstream_names] + [cache], call,
                      layer.returns(layer.backward), expect=layer.returns_text(layer.backward))
    if layer.dialect == "cs231n":
        return unpack(values, len(layer.inputs))
    grads, problem = layer.backward_values(values)
    if grads is None:  # e.g. a gradient dict without a key: the student's return value, not the wire
        exc = CallFailed(CallOutcome("bad_return", detail=problem), layer.backward, call)
        exc.expect = layer.returns_text(layer.backward)
        raise exc
    return grads


def _forward_hint(layer: Layer) -> str:
    return forward_hint(layer.forward) if layer.dialect == "cs231n" else layer.forward_hint()


def _gradient_hint(layer: Layer, name: str) -> str:
    return gradient_hint(layer.backward, name, layer.sequence) if layer.dialect == "cs231n" else layer.gradient_hint(name)


def _forward_right(ctx: Context, layer: Layer, outs: list, expected: list) -> bool:
    """The outputs a backward differentiates match the reference (a DLS yt_pred is not among them)."""
    differentiated = {o for _, o in layer.loss_pairs}
    return all(compare(n, g, e, ctx.tol("forward")).ok
               for n, g, e in zip(layer.output_names, outs, expected) if n in differentiated)


def _output_hint(layer: Layer, name: str) -> str:
    if layer.dialect != "cs231n" and name.startswith("y"):
        w = "Wya" if layer.gates == 1 else "Wy"
        z = f"{w} @ a[:, :, t] + by" if layer.sequence else f"{w} @ a_next + by"
        return (f"{name}{'[:, :, t]' if layer.sequence else ''} = softmax({z}) with the softmax over axis 0 (the "
                "n_y classes of each example, every column sums to 1): e = np.exp(z - z.max(axis=0, keepdims=True)); "
                "e / e.sum(axis=0, keepdims=True).")
    return _forward_hint(layer)


def _localise(layer: Layer, name: str, got, expected) -> dict:
    return localise(name, layer.localise_view(name, got), layer.localise_view(name, expected), layer.gates,
                    layer.sequence)


def forward_matches_reference(layer: Layer):
    def run(ctx: Context) -> Verdict:
        worst, passed_batch = 0.0, None
        for i, (dims, inputs) in enumerate(cases.layer_cases(ctx, layer, "forward")):
            call = layer.call_text(layer.forward, dims)
            try:
                outs, _ = _forward(ctx, layer, inputs, call, keep_cache=False)
            except CallFailed as exc:
                exc.evidence = _batch_of_one(ctx, layer, dims, passed_batch)
                raise
            expected, _ = layer.expected(inputs)
            for name, got, exp in zip(layer.output_names, outs, expected):
                c = compare(name, got, exp, ctx.tol("forward"))
                if not c.ok:
                    metrics = {"case": i, "dims": dims, **c.metrics()}
                    evidence = _batch_of_one(ctx, layer, dims, passed_batch) or layer.evidence(
                        layer.forward, "forward", inputs, {}, dict(zip(layer.output_names, outs)),
                        dict(zip(layer.output_names, expected)))
                    return Verdict("failed", f"{call}: {c.describe(ctx.tol('forward'))}", _output_hint(layer, name),
                                   metrics, call, evidence)
                worst = max(worst, c.rel_error)
            if dims["N"] > 1:
                passed_batch = dims
        return Verdict("passed", f"matches the reference on {i + 1} cases (worst relative error {fmt(worst)})",
                       metrics={"rel_error": worst, "cases": i + 1})

    return run


def _batch_of_one(ctx: Context, layer: Layer, dims: dict, passed_batch: dict | None):
    """Evidence for `batch-of-one`: a case with N=1 fails, and the same case with N=2 passes."""
    if dims["N"] != 1 or passed_batch is None:
        return None
    wider = dict(dims, N=2)
    inputs = cases.random_inputs(ctx.rng("batch-of-one", layer.forward), layer, wider)
    try:
        outs, _ = _forward(ctx, layer, inputs, layer.call_text(layer.forward, wider), keep_cache=False)
    except (CallFailed, Skip):
        return None
    expected, _ = layer.expected(inputs)
    if all(compare(n, g, e, ctx.tol("forward")).ok for n, g, e in zip(layer.output_names, outs, expected)):
        n = layer.describe_dims
        text = (f"right for {n({'N': passed_batch['N']})} and for {n({'N': 2})} with the other sizes unchanged, "
                f"wrong for {n({'N': 1})} ({n(dims)})")
        return layer.evidence(layer.forward, "forward", extra={"batch_of_one": text})
    return None


def backward_matches_reference(layer: Layer):
    def run(ctx: Context) -> Verdict:
        worst, compared, skipped_cases = 0.0, 0, []
        for i, (dims, inputs) in enumerate(cases.layer_cases(ctx, layer, "backward")):
            call = layer.call_text(layer.backward, dims)
            outs, cache = _forward(ctx, layer, inputs, layer.call_text(layer.forward, dims))
            expected_outs, ref_cache = layer.expected(inputs)
            if not _forward_right(ctx, layer, outs, expected_outs):
                ctx.drop([cache])
                skipped_cases.append(i)
                continue
            upstream = cases.upstream(ctx, layer, dims, ("backward", i))
            grads = _backward(ctx, layer, upstream, cache, call)
            expected = layer.expected_grads(upstream, ref_cache)
            for name, got, exp in zip(layer.grad_names, grads, expected):
                c = compare(name, got, exp, ctx.tol("gradient"))
                if not c.ok:
                    metrics = {"case": i, "dims": dims, "array": name, **c.metrics()}
                    where = ""
                    if c.got is not None:
                        loc = _localise(layer, name, c.got, exp)
                        metrics.update(loc)
                        where = describe_location(name, loc)
                    msg = f"{call}: {c.describe(ctx.tol('gradient'))}" + (f"; {where}" if where else "")
                    evidence = _history_dependent(ctx, layer, inputs, upstream, expected) or layer.evidence(
                        layer.backward, "backward", inputs, upstream,
                        dict(zip(layer.grad_names, grads)), dict(zip(layer.grad_names, expected)))
                    return Verdict("failed", msg, _gradient_hint(layer, name), metrics, call, evidence)
                worst = max(worst, c.rel_error)
            compared += 1
        if not compared:
            raise Skip(f"{layer.forward} does not match the reference yet, so {layer.backward} could not be compared "
                       "with the reference gradient; the finite-difference check grades it against your own forward")
        note = f" ({len(skipped_cases)} case(s) skipped because your forward differs there)" if skipped_cases else ""
        return Verdict("passed", f"matches the reference gradient on {compared} cases (worst relative error {fmt(worst)}){note}",
                       metrics={"rel_error": worst, "cases": compared})

    return run


def _history_dependent(ctx: Context, layer: Layer, inputs: dict, upstream: dict, expected) -> Evidence | None:
    """Evidence for `shared-state`: the failing case is right when it is the first thing a fresh
    worker does. Costs one worker restart, and only after a failure."""
    ctx.session.start()
    try:
        _, cache = _forward(ctx, layer, inputs, layer.call_text(layer.forward))
        grads = _backward(ctx, layer, upstream, cache, layer.call_text(layer.backward))
    except (CallFailed, Skip):
        return None
    if all(compare(n, g, e, ctx.tol("gradient")).ok for n, g, e in zip(layer.grad_names, grads, expected)):
        return layer.evidence(layer.backward, "property", extra={
            "bug": "shared-state",
            "evidence": f"the same {layer.forward}/{layer.backward} call gives the right gradients as the first calls "
                        "in a fresh process, and wrong ones after other calls ran"})
    return None


def _loss(outs: list, upstream: dict, layer: Layer) -> float:
    named = dict(zip(layer.output_names, outs))
    return float(sum(np.sum(upstream[u] * named[o]) for u, o in layer.loss_pairs))


def backward_matches_fd(layer: Layer):
    def run(ctx: Context) -> Verdict:
        dims, inputs = cases.fd_case(ctx, layer)
        call = layer.call_text(layer.backward, dims)
        fwd_call = layer.call_text(layer.forward, dims)
        outs, cache = _forward(ctx, layer, inputs, fwd_call)
        differentiated = {o for _, o in layer.loss_pairs}
        for name, got in zip(layer.output_names, outs):
            if name not in differentiated:
                continue
            if not isinstance(got, np.ndarray) or not np.all(np.isfinite(got)) or got.shape != layer.shapes(dims)[name]:
                ctx.drop([cache])
                raise Skip(f"{fwd_call} does not return a finite {name} of the right shape, so there is nothing "
                           "to differentiate; fix the forward first")
        upstream = cases.upstream(ctx, layer, dims, "fd")
        grads = _backward(ctx, layer, upstream, cache, call)
        h = ctx.tol("fd_step")
        rng = ctx.rng("fd-directions", layer.backward)

        def loss(name, value):
            perturbed = dict(inputs, **{name: value})
            o, _ = _forward(ctx, layer, perturbed, fwd_call, keep_cache=False)
            return _loss(o, upstream, layer)

        checked = {}
        for (name, grad_name), grad in zip(layer.fd_pairs, grads):
            c = compare(grad_name, grad, np.zeros(inputs[name].shape), np.inf)
            if c.problem and "differs" not in c.problem:
                return Verdict("failed", f"{call}: {c.problem}", _gradient_hint(layer, grad_name),
                               {"array": grad_name}, call)
            checked[name] = c.got

        joint, joint_ok = _joint_probes(ctx, layer, inputs, checked, upstream, fwd_call, h)
        if joint_ok:
            if all(p["numeric"] == 0.0 for p in joint.values()):
                ctx.drop([cache])
                raise Skip(_CONSTANT_FORWARD.format(fwd_call=fwd_call))
            worst = max(p["rel_error"] for p in joint.values())
            return Verdict("passed", f"agrees with central differences of your own forward (worst relative error "
                           f"{fmt(worst)}, {len(joint)} random directions through all inputs at once)",
                           metrics={"rel_error": worst, "probes": joint, "dims": dims})

        # A joint probe disagreed: probe each array on its own to say which one, then map its entries.
        probes, worst = {}, 0.0
        for (name, grad_name), grad in zip(layer.fd_pairs, grads):
            shape = inputs[name].shape
            c = compare(grad_name, grad, np.zeros(shape), np.inf)
            u = rng.standard_normal(shape)
            u /= np.linalg.norm(u)
            numeric = (loss(name, inputs[name] + h * u) - loss(name, inputs[name] - h * u)) / (2 * h)
            analytic = float(np.sum(c.got * u))
            # scale: the size a random projection of this gradient typically has, so a direction that
            # happens to be nearly orthogonal to the gradient does not inflate the relative error
            typical = float(np.linalg.norm(c.got)) / np.sqrt(c.got.size)
            err = abs(numeric - analytic) / max(abs(numeric), abs(analytic), typical, 1e-8)
            probes[grad_name] = {"numeric": numeric, "analytic": analytic, "rel_error": err}
            worst = max(worst, err)
            if err > ctx.tol("fd"):
                metrics = {"dims": dims, "array": grad_name, "probes": probes, "rel_error": err}
                metrics.update(_elementwise(ctx, layer, name, grad_name, c.got, inputs, loss, h))
                where = describe_location(grad_name, metrics)
                evidence = _fd_evidence(ctx, layer, inputs, outs, upstream, grads)
                msg = (f"{call}: {grad_name} disagrees with finite differences of your own {layer.forward}: "
                       f"along a random direction your gradient gives {analytic:.6g}, the numerical derivative "
                       f"{numeric:.6g} (relative error {fmt(err)}, tolerance {fmt(ctx.tol('fd'))})"
                       + (f"; {where}" if where else ""))
                return Verdict("failed", msg, _gradient_hint(layer, grad_name), metrics, call, evidence)
        # Every array agrees on its own although a joint direction did not: small disagreements that add up.
        name, p = max(joint.items(), key=lambda kv: kv[1]["rel_error"])
        metrics = {"dims": dims, "probes": {**joint, **probes}, "rel_error": p["rel_error"]}
        msg = (f"{call}: your gradients disagree with finite differences of your own {layer.forward} along a random "
               f"direction through all inputs at once: your gradients give {p['analytic']:.6g}, the numerical "
               f"derivative {p['numeric']:.6g} (relative error {fmt(p['rel_error'])}, tolerance {fmt(ctx.tol('fd'))}), "
               f"although each array on its own is within the tolerance (worst {fmt(worst)})")
        return Verdict("failed", msg, _gradient_hint(layer, layer.fd_pairs[0][1]), metrics, call,
                       _fd_evidence(ctx, layer, inputs, outs, upstream, grads))

    return run


# Found by the adversarial corpus: a constant forward (returning zeros, say) has every finite
# difference exactly 0, so a backward returning zeros "agreed" with it and earned these points with
# no work at all. Nothing can be checked against a forward that ignores its inputs.
_CONSTANT_FORWARD = ("{fwd_call} does not change when any of its inputs changes (every finite difference is 0), "
                     "so there is nothing to check your backward against: implement the forward first")
JOINT_PROBES = 2  # random directions through all inputs at once: 2 forward calls each


def _joint_probes(ctx, layer, inputs, grads: dict, upstream, fwd_call, h) -> tuple[dict, bool]:
    """Directional derivatives along random directions through every input at once.

    Each array's block of the direction has unit norm, so a small array (b) weighs as much as a
    large one (Wx) and an error in any one of them moves the sum. A correct backward costs
    ``2 * JOINT_PROBES`` forward calls in all (instead of two per array); a wrong one is then
    probed array by array to say which gradient is wrong. Returns (probes, all within tolerance).
    """
    rng = ctx.rng("fd-joint", layer.backward)
    probes, ok = {}, True
    for k in range(JOINT_PROBES):
        direction = {}
        for name, g in grads.items():
            u = rng.standard_normal(g.shape)
            direction[name] = u / np.linalg.norm(u)
        values = []
        for sign in (1, -1):
            perturbed = dict(inputs, **{n: inputs[n] + sign * h * u for n, u in direction.items()})
            o, _ = _forward(ctx, layer, perturbed, fwd_call, keep_cache=False)
            values.append(_loss(o, upstream, layer))
        numeric = (values[0] - values[1]) / (2 * h)
        analytic = float(sum(np.sum(g * direction[n]) for n, g in grads.items()))
        # the typical size of such a projection, so a direction nearly orthogonal to the gradient
        # does not inflate the relative error (as for one array below)
        typical = float(np.sqrt(sum(np.sum(g * g) / g.size for g in grads.values())))
        err = abs(numeric - analytic) / max(abs(numeric), abs(analytic), typical, 1e-8)
        probes[f"all inputs #{k + 1}"] = {"numeric": numeric, "analytic": analytic, "rel_error": err}
        ok = ok and err <= ctx.tol("fd")
    return probes, ok


def _fd_evidence(ctx, layer, inputs, outs, upstream, grads):
    """Mutant comparisons need the reference's forward: only when the student's forward matches it."""
    try:
        expected_outs, ref_cache = layer.expected(inputs)
    except ReferenceUnavailable:  # a student release has no reference: the fd verdict stands without a diagnosis
        return None
    if not _forward_right(ctx, layer, outs, expected_outs):
        return None
    expected = layer.expected_grads(upstream, ref_cache)
    return layer.evidence(layer.backward, "backward", inputs, upstream, dict(zip(layer.grad_names, grads)),
                    dict(zip(layer.grad_names, expected)))


def _elementwise(ctx, layer, name, grad_name, grad, inputs, loss, h) -> dict:
    """Numerical partial derivatives entry by entry (a random subset of large arrays)."""
    x = inputs[name]
    flat = np.arange(x.size)
    if x.size > FD_MAP_MAX_ENTRIES:
        flat = np.sort(ctx.rng("fd-subset", grad_name).choice(x.size, FD_MAP_MAX_ENTRIES, replace=False))
    numeric = np.full(x.shape, np.nan)
    for k in flat:
        idx = np.unravel_index(k, x.shape)
        step = np.zeros_like(x)
        step[idx] = h
        numeric[idx] = (loss(name, x + step) - loss(name, x - step)) / (2 * h)
    measured = ~np.isnan(numeric)
    expected = np.where(measured, numeric, grad)  # unmeasured entries count as agreeing
    loc = _localise(layer, grad_name, grad, expected)
    loc["fd_entries"] = int(measured.sum())
    return loc


def layer_checks(layer: Layer) -> list[CheckDef]:
    ex = layer.exercise
    return [
        CheckDef(ex, layer.forward, "matches_reference", "forward", forward_matches_reference(layer)),
        CheckDef(ex, layer.backward, "matches_reference", "gradient", backward_matches_reference(layer)),
        CheckDef(ex, layer.backward, "matches_fd", "fd", backward_matches_fd(layer)),
    ]
