"""Comparing a student's array with the expected one, in the trusted parent.

Pass/fail uses the norm-based relative error ||a - b|| / max(||a||, ||b||), which is steady on
correct code; the CS231n elementwise ``rel_error`` (max |a-b| / max(1e-8, |a|+|b|)) is kept as a
metric because students know it from the notebooks, but tiny entries make it jumpy (a correct
LSTM's dWh reaches ~3e-6 there). See docs/tolerances.md for the evidence behind the thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..results import finite_or_none


def norm_rel_error(a: np.ndarray, b: np.ndarray) -> float:
    scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(b)))
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b)) / scale


def cs231n_rel_error(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def fmt(x: float) -> str:
    return f"{x:.3g}" if x is not None else "n/a"


@dataclass
class ArrayComparison:
    """The verdict on one array. ``problem`` is empty when it matches."""

    name: str
    problem: str = ""
    rel_error: float | None = None
    cs231n_rel_error: float | None = None
    max_abs_error: float | None = None
    worst_index: tuple | None = None
    got_value: float | None = None
    expected_value: float | None = None
    got: np.ndarray | None = None
    expected: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        return not self.problem

    def metrics(self) -> dict:
        out = {"rel_error": finite_or_none(self.rel_error), "cs231n_rel_error": finite_or_none(self.cs231n_rel_error),
               "max_abs_error": finite_or_none(self.max_abs_error)}
        if self.worst_index is not None:
            out["worst_index"] = list(self.worst_index)
        return out

    def describe(self, tol: float) -> str:
        """One sentence: what came back, what was expected, by how much."""
        if self.problem:
            return f"{self.name}: {self.problem}"
        return f"{self.name} matches (relative error {fmt(self.rel_error)} <= {fmt(tol)})"


def compare(name: str, got, expected: np.ndarray, tol: float, atol: float | None = None) -> ArrayComparison:
    """Compare ``got`` (anything the worker sent back) with ``expected`` (a float64 array)."""
    c = ArrayComparison(name, expected=expected)
    if not isinstance(got, np.ndarray):
        kind = getattr(got, "type_name", type(got).__name__)
        c.problem = f"came back as {kind}, expected a numpy array of shape {expected.shape}"
        return c
    if got.dtype.kind not in "fiub":
        c.problem = f"came back with dtype {got.dtype}, expected float64"
        return c
    if got.shape != expected.shape:
        c.problem = f"has shape {got.shape}, expected {expected.shape}"
        if got.shape == expected.shape[::-1] and got.ndim == 2:
            c.problem += " (it looks transposed)"
        return c
    dtype = got.dtype
    c.got = got = got.astype(np.float64)
    bad = ~np.isfinite(got)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        c.problem = f"contains {int(bad.sum())} NaN or inf value(s), the first at index {list(idx)}"
        c.worst_index = idx
        return c
    diff = np.abs(got - expected)
    c.rel_error = norm_rel_error(got, expected)
    c.cs231n_rel_error = cs231n_rel_error(got, expected)
    c.max_abs_error = float(diff.max()) if diff.size else 0.0
    if diff.size:
        c.worst_index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
        c.got_value, c.expected_value = float(got[c.worst_index]), float(expected[c.worst_index])
    too_far = c.max_abs_error > atol if atol is not None else c.rel_error > tol
    if too_far:
        where = f"; largest difference at {name}[{', '.join(map(str, c.worst_index))}]: yours {c.got_value:.6g}, expected {c.expected_value:.6g}" if diff.size else ""
        if atol is not None:
            c.problem = f"differs from the expected values by up to {fmt(c.max_abs_error)} (tolerance {fmt(atol)}){where}"
        else:
            c.problem = f"differs from the expected values: relative error {fmt(c.rel_error)} (tolerance {fmt(tol)}){where}"
        if dtype != np.float64 and dtype.kind == "f":
            c.problem += f" (your array is {dtype}: compute in float64)"
    return c
