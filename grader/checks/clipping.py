"""Checks for ``clip_grad_value`` and ``clip_grad_norm``: values, keys, total norm, both regimes."""

from __future__ import annotations

import numpy as np

import reference

from ..diagnoses.detect import Evidence
from ..spec import call_text
from .base import CheckDef, Context, Verdict, unpack
from .compare import compare, fmt

_SHAPES = {"dWx": (3, 4), "dWh": (4, 4), "db": (4,)}


def _grads(ctx: Context, key: str, scale: float) -> dict[str, np.ndarray]:
    rng = ctx.rng("clip", key)
    return {k: scale * rng.standard_normal(s) for k, s in _SHAPES.items()}


def _compare_dicts(got, expected: dict, tol: float):
    if not isinstance(got, dict):
        return f"returned a {type(got).__name__}, expected a dict with keys {sorted(expected)}"
    if set(got) != set(expected):
        return f"returned keys {sorted(got)}, expected {sorted(expected)} (keep every key of the input)"
    for k in expected:
        c = compare(k, got[k], expected[k], tol)
        if not c.ok:
            return c.describe(tol)
    return ""


def clip_value_check(ctx: Context) -> Verdict:
    tol = ctx.tol("forward")
    for key, scale, clip in (("above", 2.0, 1.0), ("below", 0.1, 5.0)):
        grads = _grads(ctx, key, scale)
        call = call_text("clip_grad_value", extra=f"arrays {', '.join(f'{k}{list(v.shape)}' for k, v in grads.items())}, clip_value={clip}")
        (got,) = unpack(ctx.call("clip_grad_value", [grads, clip], call), 1)
        problem = _compare_dicts(got, reference.clip_grad_value(grads, clip), tol)
        if problem:
            return Verdict("failed", f"{call}: {problem}",
                           "Clip every entry: np.clip(g, -clip_value, clip_value) for each array, in a NEW dict.",
                           {"case": key}, call)
    return Verdict("passed", "clips every entry to [-clip_value, clip_value] and leaves small gradients unchanged")


def clip_norm_check(ctx: Context) -> Verdict:
    tol = ctx.tol("forward")
    for key, scale, max_norm in (("above", 2.0, 1.0), ("below", 0.1, 100.0)):
        grads = _grads(ctx, key, scale)
        call = call_text("clip_grad_norm", extra=f"arrays {', '.join(f'{k}{list(v.shape)}' for k, v in grads.items())}, max_norm={max_norm}")
        got, total = unpack(ctx.call("clip_grad_norm", [grads, max_norm], call), 2)
        expected, expected_total = reference.clip_grad_norm(grads, max_norm)
        total = np.asarray(total).reshape(-1)[0] if isinstance(total, (float, np.ndarray)) and np.size(total) == 1 else total
        if not isinstance(total, (float, np.floating)):
            return Verdict("failed", f"{call}: total_norm came back as {type(total).__name__}, expected a float ({expected_total:.6g})",
                           "Return (clipped_dict, total_norm), total_norm a float.", {"case": key}, call)
        if abs(total - expected_total) > tol * expected_total:
            return Verdict("failed", f"{call}: total_norm is {total:.6g}, expected {expected_total:.6g} "
                           f"(relative error {fmt(abs(total - expected_total) / expected_total)})",
                           "total_norm is ONE L2 norm over all arrays together: sqrt(sum of g**2 over every entry of every array), "
                           "measured before clipping.", {"case": key}, call)
        problem = _compare_dicts(got, expected, tol)
        if problem:
            evidence = Evidence("clip_grad_norm", "clip_norm", {"grads": grads, "max_norm": max_norm},
                                student=got if isinstance(got, dict) else {}, expected=expected)
            return Verdict("failed", f"{call}: {problem}",
                           "If total_norm > max_norm, multiply EVERY array by the same factor max_norm / total_norm; "
                           "otherwise return copies unchanged.", {"case": key}, call, evidence)
    return Verdict("passed", "scales all arrays by one global factor above the threshold and leaves them alone below it")


def clipping_checks() -> list[CheckDef]:
    return [
        CheckDef("clipping", "clip_grad_value", "matches_reference", "forward", clip_value_check),
        CheckDef("clipping", "clip_grad_norm", "matches_reference", "forward", clip_norm_check),
    ]
