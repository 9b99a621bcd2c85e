"""The API check (is the function there, with the right parameters?) and the public vectors."""

from __future__ import annotations

from ..diagnoses.detect import Evidence
from ..spec import LAYER_BY_FUNCTION, PARAMETERS, call_text
from .base import CheckDef, Context, Skip, Verdict
from .cases import PUBLIC_VECTORS
from .compare import compare, fmt
from .hints import forward_hint
from .layers import _forward


def api_check(function: str, expected: tuple[str, ...] | None = None, source: str = "the starter"):
    """``expected``/``source``: another API profile's signature and where it comes from (grader/dls.py)."""
    expected = expected or PARAMETERS[function]

    def run(ctx: Context) -> Verdict:
        info = ctx.functions.get(function)
        if info is None:
            raise Skip(f"{function} is not defined in your file: not attempted")
        params = info.get("params")
        if params is None or info.get("varargs"):
            return Verdict("passed", f"{function} is defined (its parameters could not be inspected)")
        want = f"({', '.join(expected)})"
        if len(params) != len(expected):
            return Verdict(
                "failed",
                f"{function} takes {len(params)} positional parameter(s) ({', '.join(params)}), "
                f"but the grader calls it with {len(expected)}: {function}{want}",
                f"Use exactly the signature of {source}: def {function}{want}.",
                {"params": params, "expected": list(expected)},
            )
        note = "" if list(params) == list(expected) else f" (named ({', '.join(params)}); {source} names them {want})"
        return Verdict("passed", f"{function}{want} is defined{note}", metrics={"params": params})

    return run


def public_vectors_check(function: str, expected_outputs: list | None = None):
    """``expected_outputs``: the published values (a release has no reference to compute them)."""
    layer = LAYER_BY_FUNCTION[function]

    def run(ctx: Context) -> Verdict:
        dims, inputs = PUBLIC_VECTORS[function]()
        call = call_text(function, dims, "the CS231n notebook's np.linspace inputs")
        outs, _ = _forward(ctx, layer, inputs, call, keep_cache=False)
        expected = expected_outputs
        if expected is None:
            expected = layer.reference()[0](*[inputs[n] for n in layer.input_names])[:-1]
        atol = ctx.tol("public_atol")
        worst = 0.0
        for name, got, exp in zip(layer.output_names, outs, expected):
            c = compare(name, got, exp, 0.0, atol=atol)
            if not c.ok:
                row = ", ".join(f"{v:.8f}" for v in exp[0])
                evidence = Evidence(function, "forward", inputs, {}, dict(zip(layer.output_names, outs)),
                                    dict(zip(layer.output_names, expected)))
                return Verdict("failed", f"{call}: {c.describe(atol)}. Expected {name}[0] = [{row}]",
                               forward_hint(function), {"dims": dims, **c.metrics()}, call, evidence)
            worst = max(worst, c.max_abs_error)
        return Verdict("passed", f"matches the notebook's expected values (max error {fmt(worst)})",
                       metrics={"max_abs_error": worst})

    return run


def basic_checks(exercise: str, function: str) -> list[CheckDef]:
    checks = [CheckDef(exercise, function, "api", "api", api_check(function))]
    if function in PUBLIC_VECTORS:
        checks.append(CheckDef(exercise, function, "public_vectors", "forward", public_vectors_check(function)))
    return checks
