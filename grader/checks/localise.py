"""Where in an array a gradient is wrong: per time step, per gate block, and a small error map.

Everything returns plain lists and numbers for ``CheckResult.metrics`` (renderers draw them; they
never recompute). ``err`` is always |yours - expected| scaled by the largest |expected| entry, so
maps of different arrays read on one scale.
"""

from __future__ import annotations

import numpy as np

GATE_NAMES = {4: ("i", "f", "o", "g"), 3: ("r", "z", "n")}
MAP_MAX = 24  # cells per side of the picture; larger arrays are pooled (max) into blocks


def scaled_error(got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    return np.abs(got - expected) / (scale if scale > 0 else 1.0)


def _pool(err: np.ndarray, axis_len: int, axis: int) -> np.ndarray:
    if err.shape[axis] <= axis_len:
        return err
    edges = np.linspace(0, err.shape[axis], axis_len + 1).astype(int)
    parts = [np.take(err, range(a, b), axis=axis).max(axis=axis, keepdims=True) for a, b in zip(edges, edges[1:])]
    return np.concatenate(parts, axis=axis)


def error_map(name: str, err: np.ndarray, sequence_axis: bool) -> dict:
    """A 2-D picture of ``err``: (T, D|H) for sequence arrays (max over the batch), else as is."""
    if err.ndim == 3 and sequence_axis:
        grid, rows, cols = err.max(axis=0), "time step t", "feature"
    elif err.ndim == 1:
        grid, rows, cols = err[None, :], "", "entry"
    elif err.ndim == 2:
        grid, rows, cols = err, "row", "column"
    else:
        grid, rows, cols = err.reshape(err.shape[0], -1), "axis 0", "rest"
    grid = _pool(_pool(grid, MAP_MAX, 0), MAP_MAX, 1)
    return {"array": name, "rows": rows, "cols": cols, "shape": list(err.shape),
            "values": [[round(float(v), 6) for v in row] for row in grid]}


def per_time_step(err: np.ndarray) -> list[float]:
    """Max error at each time step of an (N, T, ...) array."""
    return [round(float(v), 6) for v in err.reshape(err.shape[0], err.shape[1], -1).max(axis=(0, 2))]


def per_gate(err: np.ndarray, gates: int) -> dict[str, float] | None:
    """Max error in each H-wide column block of a (.., G*H) weight or bias gradient."""
    if gates not in GATE_NAMES or err.shape[-1] % gates:
        return None
    blocks = np.split(err, gates, axis=-1)
    return {g: round(float(b.max()), 6) for g, b in zip(GATE_NAMES[gates], blocks)}


def localise(name: str, got: np.ndarray, expected: np.ndarray, gates: int, sequence: bool, wrong: float = 1e-6) -> dict:
    """Metrics that say where ``got`` departs from ``expected``."""
    err = scaled_error(got, expected)
    out = {"error_map": error_map(name, err, sequence and err.ndim == 3), "wrong_fraction": round(float((err > wrong).mean()), 4)}
    if sequence and err.ndim == 3:
        steps = per_time_step(err)
        out["error_per_step"] = steps
        bad = [t for t, v in enumerate(steps) if v > wrong]
        if bad:
            out["first_wrong_lag"] = len(steps) - 1 - max(bad)  # counted back from the last step
            out["correct_steps"] = [t for t, v in enumerate(steps) if v <= wrong]
    gate_err = per_gate(err, gates) if gates > 1 and name in ("dWx", "dWh", "db") else None
    if gate_err:
        out["error_per_gate"] = gate_err
    return out


def describe_location(name: str, loc: dict) -> str:
    """A short sentence for the message, e.g. 'wrong at time steps 0-3 of 5 (the last step is right)'."""
    parts = []
    steps = loc.get("error_per_step")
    if steps and loc.get("correct_steps") is not None:
        ok = loc["correct_steps"]
        wrong = [t for t in range(len(steps)) if t not in ok]
        if ok and wrong:
            parts.append(f"time steps {_ranges(wrong)} are wrong, {_ranges(ok)} are right (of T={len(steps)})")
    gates = loc.get("error_per_gate")
    if gates:
        bad = [g for g, v in gates.items() if v > 1e-6]
        if bad and len(bad) < len(gates):
            parts.append(f"only the {', '.join(bad)} gate block{'s' if len(bad) > 1 else ''} of {name} {'are' if len(bad) > 1 else 'is'} wrong")
    return "; ".join(parts)


def _ranges(ts: list[int]) -> str:
    out, start = [], None
    for i, t in enumerate(ts):
        if start is None:
            start = t
        if i + 1 == len(ts) or ts[i + 1] != t + 1:
            out.append(str(start) if start == t else f"{start}-{t}")
            start = None
    return ", ".join(out)
