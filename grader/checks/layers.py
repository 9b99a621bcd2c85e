"""Checks for a forward/backward pair (RNN, LSTM, GRU; step and sequence).

- ``forward.matches_reference``: the forward on hidden seeded cases of several shapes.
- ``backward.matches_reference``: the student's backward, fed the student's OWN forward cache
  and a random upstream gradient, against the reference gradient. Skipped on a case where the
  student's forward is itself wrong, so one bug is never charged twice.
- ``backward.matches_fd``: the same backward against central differences of the student's OWN
  forward (so a wrong forward does not cost these points, and vice versa). One random
  directional probe per array (two forward calls); the elementwise map only when a probe fails.
"""

from __future__ import annotations

import numpy as np

from ..spec import Layer, call_text, describe_dims
from . import cases
from ..diagnoses.detect import Evidence
from .base import CallFailed, CheckDef, Context, Skip, Verdict, unpack
from .compare import compare, fmt
from .hints import forward_hint, gradient_hint
from .localise import describe_location, localise
from ..release.stub import ReferenceUnavailable

FD_MAP_MAX_ENTRIES = 400  # elementwise finite differences on larger arrays use a random subset


def _forward(ctx: Context, layer: Layer, inputs: dict, call: str, keep_cache: bool = True):
    returns = ["array"] * len(layer.outputs) + ["handle" if keep_cache else "drop"]
    values = ctx.call(layer.forward, [inputs[n] for n in layer.input_names], call, returns)
    values = unpack(values, len(layer.outputs) + 1)
    return values[:-1], values[-1]


def forward_matches_reference(layer: Layer):
    def run(ctx: Context) -> Verdict:
        ref_forward, _ = layer.reference()
        worst, passed_batch = 0.0, None
        for i, (dims, inputs) in enumerate(cases.layer_cases(ctx, layer, "forward")):
            call = call_text(layer.forward, dims)
            try:
                outs, _ = _forward(ctx, layer, inputs, call, keep_cache=False)
            except CallFailed as exc:
                exc.evidence = _batch_of_one(ctx, layer, dims, passed_batch)
                raise
            expected = ref_forward(*[inputs[n] for n in layer.input_names])[:-1]
            for name, got, exp in zip(layer.output_names, outs, expected):
                c = compare(name, got, exp, ctx.tol("forward"))
                if not c.ok:
                    metrics = {"case": i, "dims": dims, **c.metrics()}
                    evidence = _batch_of_one(ctx, layer, dims, passed_batch) or Evidence(
                        layer.forward, "forward", inputs, {}, dict(zip(layer.output_names, outs)),
                        dict(zip(layer.output_names, expected)))
                    return Verdict("failed", f"{call}: {c.describe(ctx.tol('forward'))}", forward_hint(layer.forward),
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
        outs, _ = _forward(ctx, layer, inputs, call_text(layer.forward, wider), keep_cache=False)
    except (CallFailed, Skip):
        return None
    expected = layer.reference()[0](*[inputs[n] for n in layer.input_names])[:-1]
    if all(compare(n, g, e, ctx.tol("forward")).ok for n, g, e in zip(layer.output_names, outs, expected)):
        text = f"right for N={passed_batch['N']} and for N=2 with the other sizes unchanged, wrong for N=1 ({describe_dims(dims)})"
        return Evidence(layer.forward, "forward", extra={"batch_of_one": text})
    return None


def backward_matches_reference(layer: Layer):
    def run(ctx: Context) -> Verdict:
        ref_forward, ref_backward = layer.reference()
        worst, compared, skipped_cases = 0.0, 0, []
        for i, (dims, inputs) in enumerate(cases.layer_cases(ctx, layer, "backward")):
            call = call_text(layer.backward, dims)
            outs, cache = _forward(ctx, layer, inputs, call_text(layer.forward, dims))
            expected_outs = ref_forward(*[inputs[n] for n in layer.input_names])
            if not all(compare(n, g, e, ctx.tol("forward")).ok for n, g, e in zip(layer.output_names, outs, expected_outs)):
                ctx.drop([cache])
                skipped_cases.append(i)
                continue
            upstream = cases.upstream(ctx, layer, dims, ("backward", i))
            grads = unpack(ctx.call(layer.backward, [upstream[n] for n in layer.upstream_names] + [cache], call),
                           len(layer.inputs))
            expected = ref_backward(*[upstream[n] for n in layer.upstream_names], expected_outs[-1])
            for name, got, exp in zip(layer.grad_names, grads, expected):
                c = compare(name, got, exp, ctx.tol("gradient"))
                if not c.ok:
                    metrics = {"case": i, "dims": dims, "array": name, **c.metrics()}
                    where = ""
                    if c.got is not None:
                        loc = localise(name, c.got, exp, layer.gates, layer.sequence)
                        metrics.update(loc)
                        where = describe_location(name, loc)
                    msg = f"{call}: {c.describe(ctx.tol('gradient'))}" + (f"; {where}" if where else "")
                    evidence = _history_dependent(ctx, layer, inputs, upstream, expected) or Evidence(
                        layer.backward, "backward", inputs, upstream,
                        dict(zip(layer.grad_names, grads)), dict(zip(layer.grad_names, expected)))
                    return Verdict("failed", msg, gradient_hint(layer.backward, name, layer.sequence), metrics, call,
                                   evidence)
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
        _, cache = _forward(ctx, layer, inputs, call_text(layer.forward))
        grads = ctx.call(layer.backward, [upstream[n] for n in layer.upstream_names] + [cache], call_text(layer.backward))
    except (CallFailed, Skip):
        return None
    if all(compare(n, g, e, ctx.tol("gradient")).ok for n, g, e in zip(layer.grad_names, grads, expected)):
        return Evidence(layer.backward, "property", extra={
            "bug": "shared-state",
            "evidence": f"the same {layer.forward}/{layer.backward} call gives the right gradients as the first calls "
                        "in a fresh process, and wrong ones after other calls ran"})
    return None


def _loss(outs: list, upstream: dict, layer: Layer) -> float:
    return float(sum(np.sum(upstream[n] * o) for n, o in zip(layer.upstream_names, outs)))


def backward_matches_fd(layer: Layer):
    def run(ctx: Context) -> Verdict:
        dims, inputs = cases.fd_case(ctx, layer)
        call = call_text(layer.backward, dims)
        fwd_call = call_text(layer.forward, dims)
        outs, cache = _forward(ctx, layer, inputs, fwd_call)
        for name, got in zip(layer.output_names, outs):
            if not isinstance(got, np.ndarray) or not np.all(np.isfinite(got)) or got.shape != layer.shapes(dims)[name]:
                ctx.drop([cache])
                raise Skip(f"{fwd_call} does not return a finite {name} of the right shape, so there is nothing "
                           "to differentiate; fix the forward first")
        upstream = cases.upstream(ctx, layer, dims, "fd")
        grads = unpack(ctx.call(layer.backward, [upstream[n] for n in layer.upstream_names] + [cache], call),
                       len(layer.inputs))
        h = ctx.tol("fd_step")
        rng = ctx.rng("fd-directions", layer.backward)

        def loss(name, value):
            perturbed = dict(inputs, **{name: value})
            o, _ = _forward(ctx, layer, perturbed, fwd_call, keep_cache=False)
            return _loss(o, upstream, layer)

        probes, worst = {}, 0.0
        for (name, grad_name), grad in zip(zip(layer.input_names, layer.grad_names), grads):
            shape = inputs[name].shape
            c = compare(grad_name, grad, np.zeros(shape), np.inf)
            if c.problem and "differs" not in c.problem:
                return Verdict("failed", f"{call}: {c.problem}", gradient_hint(layer.backward, grad_name, layer.sequence),
                               {"array": grad_name}, call)
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
                return Verdict("failed", msg, gradient_hint(layer.backward, grad_name, layer.sequence), metrics, call,
                               evidence)
        if all(p["numeric"] == 0.0 for p in probes.values()):
            # Found by the adversarial corpus: a constant forward (returning zeros, say) has every finite
            # difference exactly 0, so a backward returning zeros "agreed" with it and earned these points
            # with no work at all. Nothing can be checked against a forward that ignores its inputs.
            ctx.drop([cache])
            raise Skip(f"{fwd_call} does not change when any of its inputs changes (every finite difference is 0), "
                       "so there is nothing to check your backward against: implement the forward first")
        return Verdict("passed", f"agrees with central differences of your own forward (worst relative error {fmt(worst)})",
                       metrics={"rel_error": worst, "probes": probes, "dims": dims})

    return run


def _fd_evidence(ctx, layer, inputs, outs, upstream, grads):
    """Mutant comparisons need the reference's forward: only when the student's forward matches it."""
    try:
        ref_forward, ref_backward = layer.reference()
    except ReferenceUnavailable:  # a student release has no reference: the fd verdict stands without a diagnosis
        return None
    expected_outs = ref_forward(*[inputs[n] for n in layer.input_names])
    if not all(compare(n, g, e, ctx.tol("forward")).ok for n, g, e in zip(layer.output_names, outs, expected_outs)):
        return None
    expected = ref_backward(*[upstream[n] for n in layer.upstream_names], expected_outs[-1])
    return Evidence(layer.backward, "backward", inputs, upstream, dict(zip(layer.grad_names, grads)),
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
    loc = localise(grad_name, grad, expected, layer.gates, layer.sequence)
    loc["fd_entries"] = int(measured.sum())
    return loc


def layer_checks(layer: Layer) -> list[CheckDef]:
    ex = layer.exercise
    return [
        CheckDef(ex, layer.forward, "matches_reference", "forward", forward_matches_reference(layer)),
        CheckDef(ex, layer.backward, "matches_reference", "gradient", backward_matches_reference(layer)),
        CheckDef(ex, layer.backward, "matches_fd", "fd", backward_matches_fd(layer)),
    ]
