"""The exercise API as data: every function's parameters, shapes and return values.

This is the contract of ``../shared/notes/exercise-api.md`` written once, so checks, messages
and input generators read it instead of repeating it. Shapes are tuples of dimension names:
``N`` batch, ``T`` time, ``D`` input, ``H`` hidden, ``GH`` = gates * H (1, 4 for the LSTM, 3
for the GRU).
"""

from __future__ import annotations

from dataclasses import dataclass

try:
    import reference
except ModuleNotFoundError as exc:  # a student release bundle ships no reference (docs/release.md)
    if exc.name != "reference":
        raise
    from .release.stub import reference_stub

    reference = reference_stub()


@dataclass(frozen=True)
class Layer:
    """A forward/backward pair. Backward takes ``d<output>`` for every output plus the cache and
    returns ``d<input>`` for every input, in order (the CS231n convention)."""

    exercise: str
    forward: str
    backward: str
    inputs: tuple[tuple[str, tuple[str, ...]], ...]
    outputs: tuple[tuple[str, tuple[str, ...]], ...]
    gates: int
    sequence: bool

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.outputs)

    @property
    def upstream_names(self) -> tuple[str, ...]:
        return tuple("d" + n for n in self.output_names)

    @property
    def grad_names(self) -> tuple[str, ...]:
        return tuple("d" + n for n in self.input_names)

    def shapes(self, dims: dict[str, int]) -> dict[str, tuple[int, ...]]:
        full = dict(dims, GH=self.gates * dims["H"])
        return {n: tuple(full[d] for d in s) for n, s in self.inputs + self.outputs}

    def reference(self):
        """(forward, backward) of the reference implementation."""
        return getattr(reference, self.forward), getattr(reference, self.backward)

    # How the checks talk to the student's functions. The defaults are the CS231n API; another
    # API profile (grader/dls.py) overrides them and translates onto the same reference.
    dialect = "cs231n"

    def parameters(self, function: str) -> tuple[str, ...]:
        return PARAMETERS[function]

    def returns(self, function: str) -> list[str]:
        return RETURNS[function]

    def returns_text(self, function: str) -> str:
        return ", ".join(RETURNS.get(function, []))

    def call_text(self, function: str, dims: dict | None = None, extra: str = "") -> str:
        return call_text(function, dims, extra)

    def describe_dims(self, dims: dict) -> str:
        return describe_dims(dims)

    def forward_args(self, inputs: dict) -> list:
        return [inputs[n] for n in self.input_names]

    @property
    def loss_pairs(self) -> tuple[tuple[str, str], ...]:
        """(upstream gradient, forward output it multiplies) for the loss sum(d_out * out)."""
        return tuple(zip(self.upstream_names, self.output_names))

    @property
    def fd_pairs(self) -> tuple[tuple[str, str], ...]:
        """(input perturbed by finite differences, gradient it is compared with)."""
        return tuple(zip(self.input_names, self.grad_names))

    def backward_values(self, values) -> tuple[list | None, str]:
        """The gradients in ``grad_names`` order from what the backward returned, or (None, problem)."""
        if not isinstance(values, list) or len(values) != len(self.inputs):
            return None, "a reply with the wrong number of values"
        return values, ""

    def expected(self, inputs: dict):
        """(expected outputs in ``output_names`` order, the reference cache)."""
        out = self.reference()[0](*[inputs[n] for n in self.input_names])
        return list(out[:-1]), out[-1]

    def expected_grads(self, upstream: dict, ref_cache) -> list:
        return list(self.reference()[1](*[upstream[n] for n in self.upstream_names], ref_cache))

    def localise_view(self, name: str, arr):
        """``arr`` laid out as the localiser expects: batch first, then time."""
        return arr

    def evidence(self, function: str, kind: str, inputs: dict = None, upstream: dict = None, student: dict = None,
                 expected: dict = None, extra: dict = None):
        """Evidence for the diagnoses, in the reference layout (grader/diagnoses/detect.py)."""
        from .diagnoses.detect import Evidence

        return Evidence(function, kind, inputs or {}, upstream or {}, student or {}, expected or {}, extra or {})


_W = (("Wx", ("D", "GH")), ("Wh", ("H", "GH")), ("b", ("GH",)))
_STEP_H = (("x", ("N", "D")), ("prev_h", ("N", "H")))
_SEQ = (("x", ("N", "T", "D")), ("h0", ("N", "H")))

LAYERS: tuple[Layer, ...] = (
    Layer("rnn", "rnn_step_forward", "rnn_step_backward", _STEP_H + _W, (("next_h", ("N", "H")),), 1, False),
    Layer("rnn", "rnn_forward", "rnn_backward", _SEQ + _W, (("h", ("N", "T", "H")),), 1, True),
    Layer(
        "lstm",
        "lstm_step_forward",
        "lstm_step_backward",
        _STEP_H + (("prev_c", ("N", "H")),) + _W,
        (("next_h", ("N", "H")), ("next_c", ("N", "H"))),
        4,
        False,
    ),
    Layer("lstm", "lstm_forward", "lstm_backward", _SEQ + _W, (("h", ("N", "T", "H")),), 4, True),
    Layer("gru", "gru_step_forward", "gru_step_backward", _STEP_H + _W, (("next_h", ("N", "H")),), 3, False),
    Layer("gru", "gru_forward", "gru_backward", _SEQ + _W, (("h", ("N", "T", "H")),), 3, True),
)

LAYER_BY_FUNCTION = {f: layer for layer in LAYERS for f in (layer.forward, layer.backward)}

# Expected positional parameters of every API function, as the starter names them.
PARAMETERS: dict[str, tuple[str, ...]] = {}
for _layer in LAYERS:
    PARAMETERS[_layer.forward] = _layer.input_names
    PARAMETERS[_layer.backward] = _layer.upstream_names + ("cache",)
PARAMETERS.update(
    clip_grad_value=("grads", "clip_value"),
    clip_grad_norm=("grads", "max_norm"),
    rnn_backward_truncated=("dh", "cache", "truncate"),
)

# What each function returns, for the worker to check the structure (see worker.shape_return).
RETURNS: dict[str, list[str]] = {}
for _layer in LAYERS:
    RETURNS[_layer.forward] = ["array"] * len(_layer.outputs) + ["handle"]
    RETURNS[_layer.backward] = ["array"] * len(_layer.inputs)
RETURNS.update(
    clip_grad_value=["dict"],
    clip_grad_norm=["dict", "number"],
    rnn_backward_truncated=["array"] * 5,
)


def describe_dims(dims: dict[str, int]) -> str:
    """'N=2, T=5, D=3, H=4' in the conventional order."""
    return ", ".join(f"{k}={dims[k]}" for k in "NTDH" if k in dims)


def call_text(function: str, dims: dict[str, int] | None = None, extra: str = "") -> str:
    """How a call is shown to the student: ``rnn_forward(x, h0, Wx, Wh, b) with N=2, T=5, D=3, H=4``."""
    text = f"{function}({', '.join(PARAMETERS.get(function, ()))})"
    details = ", ".join(x for x in (describe_dims(dims) if dims else "", extra) if x)
    return f"{text} with {details}" if details else text
