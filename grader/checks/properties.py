"""Property checks: behaviours every correct implementation has, searched with Hypothesis.

Hypothesis runs in the trusted parent; every example is a handful of calls into the worker.
Inputs are drawn as (dims, seed) and built with ``cases.random_inputs``, so a failing example
shrinks towards N=T=D=H=1 and seed 0 and can be printed as a snippet the student pastes to
reproduce it with their own file. The grading profile is deterministic (derandomized), keeps no
example database (one student's failures must never replay in another's run) and bounds the
number of examples. What it does keep is the list of examples a search generated when every one
passed: those depend on the strategy and settings only, never on a submission, and a later search
with the same strategy runs them without Hypothesis's engine (``search``, grader/checks/recorded.py).
The lists of the default settings ship with the package, so a submission whose properties all hold
is graded without importing Hypothesis at all (~0.15 s of every ``check``).
"""

from __future__ import annotations

import functools
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..diagnoses.detect import Evidence
from ..spec import PARAMETERS, Layer, describe_dims
from . import cases, recorded
from ..sandbox.runner import CallOutcome
from .base import CallFailed, Context, Skip, Verdict
from .compare import fmt, norm_rel_error
from .recorded import Strategy

EXAMPLES = 6  # per property by default; --thorough uses THOROUGH_EXAMPLES
THOROUGH_EXAMPLES = 40
SAME = 1e-9  # "the same numbers" when a student's code is compared with itself (BLAS may differ in the last bits)


@functools.lru_cache(maxsize=None)
def _hypothesis():
    """Hypothesis, imported the first time a search needs its engine."""
    import hypothesis
    from hypothesis.configuration import set_hypothesis_home_dir

    # Hypothesis keeps a `.hypothesis/` folder in the working directory; the grader must not leave
    # files in a student's folder, and keeps no example database anyway.
    set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), f"rnngrade-hypothesis-{os.getuid()}"))
    return hypothesis


def max_examples(ctx: Context) -> int:
    return THOROUGH_EXAMPLES if ctx.thorough else EXAMPLES


def grading_settings(ctx: Context):
    from hypothesis import HealthCheck, Phase, settings

    _hypothesis()
    return settings(
        max_examples=max_examples(ctx),
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
    )


class PropertyFailed(Exception):
    """Raised inside an example: what went wrong, in words, plus reproduction lines."""

    def __init__(self, message: str, tail: list[str], bug: str = "", evidence: str = "", detect=None):
        super().__init__(message)
        self.message, self.tail, self.bug, self.evidence = message, tail, bug, evidence
        self.detect = detect  # an Evidence for the detectors, when the numbers themselves can name the bug


@dataclass(frozen=True)
class Example:
    dims: dict
    seed: int


def dims_strategy(sequence: bool, min_n: int = 1, min_t: int = 1, classes: bool = False) -> Strategy:
    """``classes``: also draw Y (the DLS profile's n_y, the classes of the softmax output)."""
    return Strategy(f"dims(sequence={sequence}, min_n={min_n}, min_t={min_t}, classes={classes})",
                    functools.partial(_dims_hypothesis, sequence, min_n, min_t, classes),
                    lambda e: {"dims": e.dims, "seed": e.seed}, lambda j: Example(dict(j["dims"]), int(j["seed"])))


def _dims_hypothesis(sequence: bool, min_n: int, min_t: int, classes: bool):
    from hypothesis import strategies as st

    fields = {"N": st.integers(min_n, 4), "D": st.integers(1, 4), "H": st.integers(1, 4)}
    if sequence:
        fields["T"] = st.integers(min_t, 5)
    if classes:
        fields["Y"] = st.integers(1, 4)
    return st.builds(Example, st.fixed_dictionaries(fields), st.integers(0, 2**16))


replays = 0  # how many searches were answered from recorded or stored examples (for benchmarks and tests)


def _example_key(ctx: Context, strategy):
    """What names a search's examples in grader/checks/recorded.py; None: always run Hypothesis."""
    return (strategy.key, max_examples(ctx)) if isinstance(strategy, Strategy) else None


def _recording(body, seen: list):
    def recorded(example):
        seen.append(example)
        body(example)
    return recorded


def _hypothesis_search(ctx: Context, strategy, body, found: dict) -> bool:
    """Run the search; True when Hypothesis finished without raising (every example passed)."""
    from hypothesis import given

    if isinstance(strategy, Strategy):
        strategy = strategy.build()
    # ``prop`` must keep this exact text, decorators included: with derandomize=True Hypothesis seeds
    # its generator from a digest of the function's source, so any edit here changes every example.
    @grading_settings(ctx)
    @given(strategy)
    def prop(example):
        try:
            body(example)
        except PropertyFailed as exc:
            found["failure"] = (example, exc)
            raise AssertionError(exc.message) from None
        except CallFailed as exc:
            if exc.outcome.status in ("timeout", "infra_error"):
                found["abort"] = exc
                return
            found["failure"] = (example, exc)
            raise AssertionError(exc.outcome.status) from None
        except Skip as exc:
            found["skip"] = exc

    try:
        prop()
    except Exception:  # noqa: BLE001 - Hypothesis re-raises the smallest failure (or Flaky): found holds it
        return False
    return True


def _replay(body, examples, found: dict) -> bool:
    """Run ``body`` on recorded examples as ``prop`` in ``search`` would; False at the first failure."""
    for example in examples:
        try:
            body(example)
        except (PropertyFailed, CallFailed) as exc:
            if isinstance(exc, CallFailed) and exc.outcome.status in ("timeout", "infra_error"):
                found["abort"] = exc
                continue
            return False
        except Skip as exc:
            found["skip"] = exc
        except Exception:  # noqa: BLE001 - anything else: let the Hypothesis search below handle it as it always did
            return False
    return True


@contextmanager
def without_local_constants():
    """Hypothesis (6.13x and later) mixes into its draws constants it finds in "local" modules: every
    imported module outside site-packages and the standard library. Which modules those are depends on
    how rnngrade was installed (editable or not), on the working directory and on what the process
    imported before, so the same seed drew different examples -- and could reach a different verdict
    -- on a student's machine, the instructor's and CI (seen as order-dependent test failures). Our
    searches draw from Hypothesis's fixed global constants only; other Hypothesis users in the same
    process (a course's own tests next to the pytest plugin) get the pool back afterwards."""
    try:
        from hypothesis.internal.conjecture import providers

        original, empty, cache = providers._get_local_constants, providers.Constants(), providers.CONSTANTS_CACHE
    except (ImportError, AttributeError):  # a Hypothesis without local constants: nothing to pin
        yield
        return
    cache.cache.clear()  # it holds constants drawn from the local pool, keyed by type and bounds
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


def search(ctx: Context, strategy, body: Callable[[Example], None], function: str, hint: str,
           describe: Callable[[Example], tuple[dict, list[str]]], passed: str,
           where_text: Callable[[dict], str] | None = None, functions=None, extra: dict | None = None) -> Verdict:
    """Run ``body`` on examples; turn the smallest failure into a Verdict with a counterexample.

    For another API profile (grader/dls.py): ``where_text`` words the dims, ``functions`` are the names a
    snippet may import, ``extra`` goes into the diagnosis evidence (e.g. the dialect)."""
    global replays
    found: dict = {}
    key = _example_key(ctx, strategy)
    examples = recorded.lookup(key, strategy, EXAMPLES)
    if examples is not None and _replay(body, examples, found):
        replays += 1
    else:
        found.clear()
        seen: list = []
        with without_local_constants():
            clean = _hypothesis_search(ctx, strategy, _recording(body, seen), found)
        # only a search in which no example failed in any way generated exactly the examples in `seen` (a
        # failure, even one the body did not expect, makes Hypothesis shrink: then `seen` holds shrink steps)
        if clean and key is not None and "failure" not in found:
            recorded.remember(key, strategy, seen)
    if "abort" in found:
        raise found["abort"]
    if "skip" in found and "failure" not in found:
        raise found["skip"]
    if "failure" not in found:
        return Verdict("passed", passed)
    example, exc = found["failure"]
    shapes, setup = describe(example)
    if where_text is not None:
        where = where_text(example.dims)
    elif any(k in example.dims for k in "NTDH"):
        where = describe_dims(example.dims)
    else:
        where = ", ".join(f"{k} of shape {tuple(v)}" for k, v in example.dims.items())
    detect = None
    if isinstance(exc, CallFailed):
        o = exc.outcome
        what = f"{exc.call} raised {o.exc_type}: {o.exc_msg}" if o.status == "error" else f"{exc.call}: {o.detail or o.status}"
        message, tail, bug, evidence = what, [], "", ""
    else:
        message, tail, bug, evidence, detect = exc.message, exc.tail, exc.bug, exc.evidence, exc.detect
    body_lines = setup + tail
    used = [f for f in (functions or PARAMETERS) if any(f + "(" in line for line in body_lines)] or [function]
    counterexample = {
        "shapes": shapes,
        "description": f"fails when {where}: {message}",
        "snippet": "\n".join(["import numpy as np", f"from rnn_layers import {', '.join(used)}"] + body_lines),
    }
    verdict = Verdict("failed", f"{function}: fails when {where} (smallest case found): {message}", hint,
                      {"dims": example.dims, "seed": example.seed}, counterexample=counterexample)
    if bug:
        verdict.evidence = Evidence(function, "property", extra={"bug": bug, "evidence": evidence, **(extra or {})})
    elif detect is not None:
        verdict.evidence = detect
    if isinstance(exc, CallFailed) and exc.outcome.status == "error":
        exc.evidence = verdict.evidence
        exc.call = f"{exc.call} with {where} (smallest failing case found)"
        exc.counterexample = counterexample
        raise exc
    return verdict


# ----------------------------------------------------------------------------- layer helpers


def _layer_describe(layer: Layer, x_scale: float = 1.0):
    def describe(ex: Example):
        shapes = {k: list(v) for k, v in layer.shapes(ex.dims).items() if k in layer.input_names}
        if layer.dialect != "cs231n":
            return shapes, layer.snippet_inputs(ex.dims, ex.seed, x_scale)
        return shapes, cases.inputs_source(layer, ex.dims, ex.seed, x_scale)
    return describe


def _inputs(layer: Layer, ex: Example, x_scale: float = 1.0) -> dict:
    return cases.random_inputs(np.random.default_rng(ex.seed), layer, ex.dims, x_scale)


def _fwd(ctx: Context, layer: Layer, inputs: dict, keep: bool = False):
    returns = ["array"] * len(layer.outputs) + ["handle" if keep else "drop"]
    call = f"{layer.forward}({', '.join(layer.input_names)})" if layer.dialect == "cs231n" else layer.call_text(layer.forward)
    values = ctx.call(layer.forward, layer.forward_args(inputs), call, returns)
    outs, cache = values[:-1], values[-1]
    for name, o in zip(layer.output_names, outs):
        if not isinstance(o, np.ndarray):
            raise PropertyFailed(f"{name} came back as {getattr(o, 'type_name', type(o).__name__)}, not an array", [])
    return [o.astype(np.float64) for o in outs], cache


def _bwd(ctx: Context, layer: Layer, upstream: dict, cache):
    if layer.dialect != "cs231n":
        call = layer.call_text(layer.backward)
        values = ctx.call(layer.backward, [upstream[n] for n in layer.upstream_names] + [cache], call,
                          layer.returns(layer.backward))
        values, problem = layer.backward_values(values)
        if values is None:  # e.g. a gradient dict without a key: the student's return value
            raise CallFailed(CallOutcome("bad_return", detail=problem), layer.backward, call)
    else:
        values = ctx.call(layer.backward, [upstream[n] for n in layer.upstream_names] + [cache],
                          f"{layer.backward}({', '.join(layer.upstream_names)}, cache)")
    for name, g in zip(layer.grad_names, values):
        if not isinstance(g, np.ndarray):
            raise PropertyFailed(f"{name} came back as {getattr(g, 'type_name', type(g).__name__)}, not an array", [])
    return [g.astype(np.float64) for g in values]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to rounding; NaN/inf in the same places count as equal (that is another check's business)."""
    if a.shape != b.shape:
        return False
    fa, fb = np.isfinite(a), np.isfinite(b)
    if not np.array_equal(fa, fb):
        return False
    return norm_rel_error(np.where(fa, a, 0.0), np.where(fb, b, 0.0)) <= SAME


def diff(a: np.ndarray, b: np.ndarray) -> str:
    """How two arrays differ, in words, for a message."""
    if a.shape != b.shape:
        return f"shapes {a.shape} and {b.shape}"
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return "NaN/inf in different places"
    return f"relative error {fmt(norm_rel_error(np.nan_to_num(a), np.nan_to_num(b)))}"


def _upstream(layer: Layer, dims: dict, rng) -> dict:
    shapes = layer.shapes(dims)
    if layer.dialect != "cs231n":
        return {u: rng.standard_normal(shapes[o]) for u, o in layer.loss_pairs}
    return {"d" + n: rng.standard_normal(shapes[n]) for n in layer.output_names}


def _call_line(layer: Layer) -> str:
    outs = ", ".join(layer.output_names)
    return f"{outs}, cache = {layer.forward}({', '.join(layer.input_names)})"


def layer_search(ctx: Context, layer: Layer, function: str, body, hint: str, passed: str,
                 x_scale: float = 1.0, min_n: int = 1, min_t: int = 1) -> Verdict:
    """``search`` over (dims, seed) for a layer, describing examples by the layer's inputs."""
    if layer.dialect != "cs231n":  # another API profile: its dims (with the classes Y), names and diagnoses
        return search(ctx, dims_strategy(layer.sequence, min_n, min_t, classes=True), body, function, hint,
                      _layer_describe(layer, x_scale), passed, where_text=layer.describe_dims,
                      functions=layer.snippet_functions, extra={"dialect": layer.dialect})
    return search(ctx, dims_strategy(layer.sequence, min_n, min_t), body, function, hint,
                  _layer_describe(layer, x_scale), passed)
