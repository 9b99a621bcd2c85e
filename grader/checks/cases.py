"""Inputs for the checks: hidden seeded random cases and the public CS231n vectors.

Random cases depend only on (seed, purpose, function, case number), so a run is reproducible and
a regrade gives the same numbers. The shapes include the edges students trip on: a batch of one,
one time step, one input feature, one hidden unit. Scales keep pre-activations moderate (weights
~ 1/sqrt(fan-in)) so a correct implementation is far from saturation and errors are visible.
"""

from __future__ import annotations

import numpy as np

from ..spec import Layer

STEP_DIMS = ({"N": 3, "D": 4, "H": 5}, {"N": 1, "D": 3, "H": 2}, {"N": 2, "D": 1, "H": 3}, {"N": 4, "D": 2, "H": 1})
SEQ_DIMS = (
    {"N": 2, "T": 5, "D": 3, "H": 4},
    {"N": 1, "T": 1, "D": 2, "H": 3},
    {"N": 3, "T": 4, "D": 1, "H": 2},
    {"N": 1, "T": 3, "D": 2, "H": 1},
)
FD_STEP_DIMS = {"N": 3, "D": 4, "H": 5}
FD_SEQ_DIMS = {"N": 2, "T": 4, "D": 3, "H": 4}


# name -> (how it is drawn, the same as Python source for reproduction snippets); drawn in the
# order of the layer's inputs, so a snippet with the same seed rebuilds exactly the same arrays
_RECIPES = {
    "Wx": (lambda rng, s: rng.standard_normal(s) / np.sqrt(s[0]), "rng.standard_normal({s}) / np.sqrt({s0})"),
    "Wh": (lambda rng, s: rng.standard_normal(s) / np.sqrt(s[0]), "rng.standard_normal({s}) / np.sqrt({s0})"),
    "b": (lambda rng, s: 0.5 * rng.standard_normal(s), "0.5 * rng.standard_normal({s})"),
    "prev_h": (lambda rng, s: rng.uniform(-0.9, 0.9, s), "rng.uniform(-0.9, 0.9, {s})"),
    "h0": (lambda rng, s: rng.uniform(-0.9, 0.9, s), "rng.uniform(-0.9, 0.9, {s})"),
}
_DEFAULT = (lambda rng, s: rng.standard_normal(s), "rng.standard_normal({s})")


def random_inputs(rng: np.random.Generator, layer: Layer, dims: dict, x_scale: float = 1.0) -> dict[str, np.ndarray]:
    """Inputs of a layer's forward. ``x_scale`` multiplies x (large values saturate the gates)."""
    if layer.dialect != "cs231n":  # another API profile lays the same draw out its own way (grader/dls.py)
        return layer.draw(rng, dims, x_scale)
    shapes = layer.shapes(dims)
    out = {name: _RECIPES.get(name, _DEFAULT)[0](rng, shapes[name]) for name, _ in layer.inputs}
    out["x"] = out["x"] * x_scale
    return out


def inputs_source(layer: Layer, dims: dict, seed: int, x_scale: float = 1.0) -> list[str]:
    """Python lines that rebuild ``random_inputs(np.random.default_rng(seed), layer, dims, x_scale)``."""
    shapes = layer.shapes(dims)
    lines = [f"rng = np.random.default_rng({seed})"]
    for name, _ in layer.inputs:
        s = shapes[name]
        lines.append(f"{name} = " + _RECIPES.get(name, _DEFAULT)[1].format(s=s, s0=s[0]))
    if x_scale != 1.0:
        lines.append(f"x = x * {x_scale:g}")
    return lines


def _case_dims(layer: Layer):
    if layer.dialect != "cs231n":
        from .. import dls

        return (dls.SEQ_DIMS, dls.FD_SEQ_DIMS) if layer.sequence else (dls.STEP_DIMS, dls.FD_STEP_DIMS)
    return (SEQ_DIMS, FD_SEQ_DIMS) if layer.sequence else (STEP_DIMS, FD_STEP_DIMS)


def layer_cases(ctx, layer: Layer, purpose: str):
    for i, dims in enumerate(_case_dims(layer)[0]):
        yield dims, random_inputs(ctx.rng(purpose, layer.forward, i), layer, dims)


def fd_case(ctx, layer: Layer):
    dims = _case_dims(layer)[1]
    return dims, random_inputs(ctx.rng("fd", layer.forward), layer, dims)


def upstream(ctx, layer: Layer, dims: dict, key) -> dict[str, np.ndarray]:
    rng = ctx.rng("upstream", layer.backward, key)
    shapes = layer.shapes(dims)
    return {u: rng.standard_normal(shapes[o]) for u, o in layer.loss_pairs}


def public_rnn_step() -> tuple[dict, dict]:
    """The CS231n notebook's rnn_step_forward inputs (public: printed in every copy of it)."""
    N, D, H = 3, 10, 4
    return {"N": N, "D": D, "H": H}, {
        "x": np.linspace(-0.4, 0.7, num=N * D).reshape(N, D),
        "prev_h": np.linspace(-0.2, 0.5, num=N * H).reshape(N, H),
        "Wx": np.linspace(-0.1, 0.9, num=D * H).reshape(D, H),
        "Wh": np.linspace(-0.3, 0.7, num=H * H).reshape(H, H),
        "b": np.linspace(-0.2, 0.4, num=H),
    }


def public_lstm_step() -> tuple[dict, dict]:
    """The CS231n notebook's lstm_step_forward inputs."""
    N, D, H = 3, 4, 5
    return {"N": N, "D": D, "H": H}, {
        "x": np.linspace(-0.4, 1.2, num=N * D).reshape(N, D),
        "prev_h": np.linspace(-0.3, 0.7, num=N * H).reshape(N, H),
        "prev_c": np.linspace(-0.4, 0.9, num=N * H).reshape(N, H),
        "Wx": np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H),
        "Wh": np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H),
        "b": np.linspace(0.3, 0.7, num=4 * H),
    }


PUBLIC_VECTORS = {"rnn_step_forward": public_rnn_step, "lstm_step_forward": public_lstm_step}
