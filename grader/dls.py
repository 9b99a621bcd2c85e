"""The Coursera DLS API profile ("Building your Recurrent Neural Network - Step by Step").

The DLS functions compute the same RNN and LSTM as the CS231n API, laid out differently: time on
the LAST axis (``x`` is (n_x, m, T_x)), weights on the left (``Wax @ xt``), column-vector biases,
parameters in a dict, a softmax output ``yt_pred``, gradients returned as a dict, and for the LSTM
separate gate matrices ``Wf, Wi, Wc, Wo`` of shape (n_a, n_a + n_x) acting on
``concat = [a_prev; xt]``. ``DlsLayer`` is a ``spec.Layer`` whose checks (layers.py, basic.py)
send DLS-layout arguments to the student and translate to and from the reference, in the
trusted parent, with numpy only. The worker just calls the student's function. docs/dls.md.

Inputs of a DLS layer are a FLAT dict (``xt``, ``a_prev``, ``Wax``, ..., ``by``); ``forward_args``
packs the parameter entries into the ``parameters`` dict the student's function takes.
Dimensions use the checks' letters: N = m, T = T_x, D = n_x, H = n_a, Y = n_y.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .spec import LAYER_BY_FUNCTION, Layer, reference

API = "dls"
DIM_NAMES = (("N", "m"), ("T", "T_x"), ("D", "n_x"), ("H", "n_a"), ("Y", "n_y"))
GATES = ("i", "f", "o", "c")  # the reference's column blocks i, f, o, g; DLS calls the candidate "c"
LSTM_GATE_ORDER = ("f", "i", "c", "o")  # the order DLS lists them in

# case shapes: the CS231n edge cases (a batch of one, one step, one input, one unit) plus n_y
STEP_DIMS = ({"N": 3, "D": 4, "H": 5, "Y": 3}, {"N": 1, "D": 3, "H": 2, "Y": 2},
             {"N": 2, "D": 1, "H": 3, "Y": 2}, {"N": 4, "D": 2, "H": 1, "Y": 1})
SEQ_DIMS = ({"N": 2, "T": 5, "D": 3, "H": 4, "Y": 3}, {"N": 1, "T": 1, "D": 2, "H": 3, "Y": 2},
            {"N": 3, "T": 4, "D": 1, "H": 2, "Y": 2}, {"N": 1, "T": 3, "D": 2, "H": 1, "Y": 1})
FD_STEP_DIMS = {"N": 3, "D": 4, "H": 5, "Y": 3}
FD_SEQ_DIMS = {"N": 2, "T": 4, "D": 3, "H": 4, "Y": 3}


def describe_dims(dims: dict) -> str:
    """'m=2, T_x=5, n_x=3, n_a=4, n_y=3'."""
    return ", ".join(f"{name}={dims[k]}" for k, name in DIM_NAMES if k in dims)


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over axis 0 (the n_y classes of each example), as DLS's rnn_utils.softmax."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


@dataclass(frozen=True)
class DlsLayer(Layer):
    """A DLS forward/backward pair, graded against the CS231n-layout reference layer ``ref``."""

    ref: Layer = None
    param_names: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    grads: tuple[tuple[str, str], ...] = ()  # (gradient name, input it differentiates)
    # names of the call's positional parameters (the student sees these)
    forward_params: tuple[str, ...] = ()
    backward_params: tuple[str, ...] = ()

    dialect = API

    @property
    def lstm(self) -> bool:
        return self.gates == 4

    @property
    def upstream_names(self) -> tuple[str, ...]:
        return self.upstream

    @property
    def grad_names(self) -> tuple[str, ...]:
        return tuple(g for g, _ in self.grads)

    @property
    def loss_pairs(self):
        return tuple((u, u[1:]) for u in self.upstream)  # da_next -> a_next, dc_next -> c_next, da -> a

    @property
    def fd_pairs(self):
        return tuple((i, g) for g, i in self.grads)

    def shapes(self, dims: dict) -> dict:
        full = dict(dims, HD=dims["H"] + dims["D"], ONE=1)
        return {n: tuple(full[d] for d in s) for n, s in self.inputs + self.outputs}

    def parameters(self, function: str) -> tuple[str, ...]:
        return self.forward_params if function == self.forward else self.backward_params

    def returns(self, function: str) -> list[str]:
        return ["array"] * len(self.outputs) + ["handle"] if function == self.forward else ["dict"]

    def returns_text(self, function: str) -> str:
        if function == self.forward:
            return ", ".join(self.output_names + ("cache" if not self.sequence else "caches",))
        return "a dict with the keys " + ", ".join(repr(g) for g in self.grad_names)

    def call_text(self, function: str, dims: dict | None = None, extra: str = "") -> str:
        text = f"{function}({', '.join(self.parameters(function))})"
        details = ", ".join(x for x in (describe_dims(dims) if dims else "", extra) if x)
        return f"{text} with {details}" if details else text

    def describe_dims(self, dims: dict) -> str:
        return describe_dims(dims)

    def forward_args(self, inputs: dict) -> list:
        data = [n for n in self.input_names if n not in self.param_names]
        return [inputs[n] for n in data] + [{k: inputs[k] for k in self.param_names}]

    def backward_values(self, values):
        if not isinstance(values, list) or len(values) != 1:
            return None, "a reply with the wrong number of values"
        grads = values[0]
        if not isinstance(grads, dict):
            return None, "did not return a dict"
        missing = [g for g in self.grad_names if g not in grads]
        if missing:
            have = ", ".join(repr(k) for k in list(grads)[:20]) or "no keys"
            return None, (f"returned a dict without the key(s) {', '.join(repr(m) for m in missing)} "
                          f"(it has {have})")
        return [grads[g] for g in self.grad_names], ""

    # ------------------------------------------------------------------ layouts

    def draw(self, rng: np.random.Generator, dims: dict, x_scale: float = 1.0) -> dict:
        """Random inputs in the DLS layout: the reference's recipe, transposed, plus Wya/Wy and by."""
        from .checks import cases

        ref = cases.random_inputs(rng, self.ref, dims, x_scale)
        H, Y = dims["H"], dims["Y"]
        out = self.from_ref(ref)
        out[self.param_names[-2]] = rng.standard_normal((Y, H)) / np.sqrt(H)  # Wya / Wy
        out["by"] = 0.5 * rng.standard_normal((Y, 1))
        return out

    def from_ref(self, ref: dict) -> dict:
        """Reference-layout inputs -> DLS-layout inputs (without Wya/Wy, by)."""
        seq = self.sequence
        out = {"x": ref["x"].transpose(2, 0, 1), "a0": ref["h0"].T} if seq else {"xt": ref["x"].T, "a_prev": ref["prev_h"].T}
        if "prev_c" in ref:
            out["c_prev"] = ref["prev_c"].T
        if not self.lstm:
            out.update(Wax=ref["Wx"].T, Waa=ref["Wh"].T, ba=ref["b"][:, None])
            return out
        H = ref["Wh"].shape[0]
        for k, g in enumerate(GATES):
            cols = slice(k * H, (k + 1) * H)
            out["W" + g] = np.concatenate([ref["Wh"][:, cols].T, ref["Wx"][:, cols].T], axis=1)
            out["b" + g] = ref["b"][cols][:, None]
        return out

    def to_ref(self, inputs: dict) -> dict:
        """DLS-layout inputs -> the reference layer's inputs."""
        ref = {"x": inputs["x"].transpose(1, 2, 0), "h0": inputs["a0"].T} if self.sequence else \
            {"x": inputs["xt"].T, "prev_h": inputs["a_prev"].T}
        if "c_prev" in inputs:
            ref["prev_c"] = inputs["c_prev"].T
        if not self.lstm:
            ref.update(Wx=inputs["Wax"].T, Wh=inputs["Waa"].T, b=inputs["ba"].ravel())
            return ref
        H = inputs["Wf"].shape[0]
        ref["Wx"] = np.concatenate([inputs["W" + g][:, H:].T for g in GATES], axis=1)
        ref["Wh"] = np.concatenate([inputs["W" + g][:, :H].T for g in GATES], axis=1)
        ref["b"] = np.concatenate([inputs["b" + g].ravel() for g in GATES])
        return ref

    def grads_from_ref(self, ref_grads: list) -> dict:
        """The reference's (dx, dprev_h|dh0, [dprev_c], dWx, dWh, db) -> the DLS gradient dict."""
        names = list(self.ref.grad_names)
        g = dict(zip(names, ref_grads))
        first = "dx" if self.sequence else "dxt"
        out = {first: g["dx"].transpose(2, 0, 1) if self.sequence else g["dx"].T}
        out["da0" if self.sequence else "da_prev"] = (g["dh0"] if self.sequence else g["dprev_h"]).T
        if "dprev_c" in g:
            out["dc_prev"] = g["dprev_c"].T
        if not self.lstm:
            out.update(dWax=g["dWx"].T, dWaa=g["dWh"].T, dba=g["db"][:, None])
            return out
        H = g["dWh"].shape[0]
        for k, gate in enumerate(GATES):
            cols = slice(k * H, (k + 1) * H)
            out["dW" + gate] = np.concatenate([g["dWh"][:, cols].T, g["dWx"][:, cols].T], axis=1)
            out["db" + gate] = g["db"][cols][:, None]
        return out

    def grads_to_ref(self, grads: dict, dims: dict) -> dict:
        """A student's DLS gradients in the reference layout, for the diagnoses (what does not fit is left out)."""
        H = dims["H"]
        out = {}

        def put(name, fn):
            try:
                value = fn()
            except (KeyError, ValueError, IndexError, TypeError, AttributeError):
                return
            if isinstance(value, np.ndarray):
                out[name] = value

        if self.sequence:
            put("dx", lambda: grads["dx"].transpose(1, 2, 0))
            put("dh0", lambda: grads["da0"].T)
        else:
            put("dx", lambda: grads["dxt"].T)
            put("dprev_h", lambda: grads["da_prev"].T)
            if self.lstm:
                put("dprev_c", lambda: grads["dc_prev"].T)
        if not self.lstm:
            put("dWx", lambda: grads["dWax"].T)
            put("dWh", lambda: grads["dWaa"].T)
            put("db", lambda: grads["dba"].reshape(H))
        else:
            put("dWx", lambda: np.concatenate([_fit(grads["dW" + g], (H, None))[:, H:].T for g in GATES], axis=1))
            put("dWh", lambda: np.concatenate([_fit(grads["dW" + g], (H, None))[:, :H].T for g in GATES], axis=1))
            put("db", lambda: np.concatenate([grads["db" + g].reshape(H) for g in GATES]))
        return out

    def outputs_from_ref(self, inputs: dict, ref_outs: list) -> list:
        """The expected DLS outputs from the reference's hidden (and cell) states; y by softmax here."""
        Wy, by = inputs[self.param_names[-2]], inputs["by"]
        if self.sequence:
            a = ref_outs[0].transpose(2, 0, 1)  # (H, N, T)
            y = softmax(np.einsum("yh,hnt->ynt", Wy, a) + by[:, :, None])
            if not self.lstm:
                return [a, y]
            return [a, y, ref_outs[1].transpose(2, 0, 1)]
        a = ref_outs[0].T
        y = softmax(Wy @ a + by)
        return [a, y] if not self.lstm else [a, ref_outs[1].T, y]

    def expected(self, inputs: dict):
        ref_in = self.to_ref(inputs)
        fwd = getattr(reference, self.ref.forward)
        out = fwd(*[ref_in[n] for n in self.ref.input_names])
        ref_outs, cache = list(out[:-1]), out[-1]
        if self.sequence and self.lstm:  # the reference returns h only: the cell states, step by step
            h, c, cs = ref_in["h0"], np.zeros_like(ref_in["h0"]), []
            for t in range(ref_in["x"].shape[1]):
                h, c, _ = reference.lstm_step_forward(ref_in["x"][:, t], h, c, ref_in["Wx"], ref_in["Wh"], ref_in["b"])
                cs.append(c)
            ref_outs.append(np.stack(cs, axis=1))
        return self.outputs_from_ref(inputs, ref_outs), cache

    def upstream_to_ref(self, upstream: dict) -> dict:
        if self.sequence:
            return {"dh": upstream["da"].transpose(1, 2, 0)}
        out = {"dnext_h": upstream["da_next"].T}
        if "dc_next" in upstream:
            out["dnext_c"] = upstream["dc_next"].T
        return out

    def expected_grads(self, upstream: dict, ref_cache) -> list:
        ref_up = self.upstream_to_ref(upstream)
        bwd = getattr(reference, self.ref.backward)
        grads = self.grads_from_ref(list(bwd(*[ref_up[n] for n in self.ref.upstream_names], ref_cache)))
        return [grads[g] for g in self.grad_names]

    def localise_view(self, name: str, arr):
        # (n, m, T_x) -> (m, T_x, n): batch first, then time, as the localiser reads sequences
        return arr.transpose(1, 2, 0) if isinstance(arr, np.ndarray) and arr.ndim == 3 else arr

    def evidence(self, function, kind, inputs=None, upstream=None, student=None, expected=None, extra=None):
        from .diagnoses.detect import Evidence

        extra = dict(extra or {}, dialect=API, rename=self.rename(), function=function)
        if kind != "forward" and kind != "backward" or not inputs:
            return Evidence(self.ref.forward if function == self.forward else self.ref.backward, kind,
                            extra=extra)
        try:
            dims = self.dims_of(inputs)
            ref_in = self.to_ref(inputs)
            if kind == "forward":
                names = list(self.ref.output_names)
                pick = [n for n in self.output_names if not n.startswith("y")]  # a (and c): yt_pred has no reference
                st = {r: _to_ref_state(student.get(d), self.sequence) for r, d in zip(names, pick)}
                ex = {r: _to_ref_state(expected[d], self.sequence) for r, d in zip(names, pick)}
                st = {k: v for k, v in st.items() if v is not None}
                extra["names"] = pick[:len(names)]
                return Evidence(self.ref.forward, "forward", ref_in, {}, st, ex, extra)
            st = self.grads_to_ref(student, dims)
            ex = self.grads_to_ref(expected, dims)
            extra["names"] = list(self.grad_names)
            return Evidence(self.ref.backward, "backward", ref_in, self.upstream_to_ref(upstream), st, ex, extra)
        except (KeyError, ValueError, IndexError, TypeError, AttributeError):
            return None

    def dims_of(self, inputs: dict) -> dict:
        x = inputs["x"] if self.sequence else inputs["xt"]
        dims = {"D": x.shape[0], "N": x.shape[1], "H": inputs["a0" if self.sequence else "a_prev"].shape[0]}
        if self.sequence:
            dims["T"] = x.shape[2]
        return dims

    def rename(self) -> dict:
        """Reference array names -> what this DLS function calls them (for diagnosis sentences)."""
        out = {"dx": "dx" if self.sequence else "dxt", "dh0": "da0", "dprev_h": "da_prev", "dprev_c": "dc_prev",
               "next_h": "a_next", "next_c": "c_next", "dh": "da", "h0": "a0", "prev_h": "a_prev"}
        if self.lstm:
            out.update(dWx="dWf, dWi, dWc, dWo", dWh="dWf, dWi, dWc, dWo", db="dbf, dbi, dbc, dbo")
        else:
            out.update(dWx="dWax", dWh="dWaa", db="dba")
        return out

    # ------------------------------------------------------------------ snippets (property checks)

    # the functions a snippet may import (search(): the ones it calls)
    # the functions a property's snippet may import (properties.search keeps the ones it calls)
    snippet_functions = ("rnn_cell_forward", "rnn_cell_backward", "rnn_forward", "rnn_backward",
                         "lstm_cell_forward", "lstm_cell_backward", "lstm_forward", "lstm_backward")

    @property
    def data_names(self) -> tuple[str, ...]:
        """The forward's array arguments (the parameters dict aside): xt, a_prev[, c_prev] or x, a0."""
        return tuple(n for n in self.input_names if n not in self.param_names)

    def snippet_args(self, suffix: str = "", transform=None) -> str:
        """'xt, a_prev, parameters' (``transform`` rewrites each data argument, e.g. to slice the batch)."""
        data = [(transform or (lambda n: n))(n + suffix) for n in self.data_names]
        return ", ".join(data + ["parameters" + suffix])

    def snippet_call(self, suffix: str = "") -> str:
        """'a_next, yt_pred, cache = rnn_cell_forward(xt, a_prev, parameters)'."""
        outs = ", ".join(n + suffix for n in self.output_names + ("caches" if self.sequence else "cache",))
        return f"{outs} = {self.forward}({self.snippet_args(suffix)})"

    def snippet_inputs(self, dims: dict, seed: int, x_scale: float = 1.0, suffix: str = "") -> list[str]:
        """Python lines that rebuild ``draw(np.random.default_rng(seed), dims, x_scale)`` in DLS names."""
        from .checks import cases

        shapes = self.ref.shapes(dims)
        H, Y = dims["H"], dims["Y"]
        s = suffix
        lines = [f"rng = np.random.default_rng({seed})  # the grader's random draw, in the DLS layout"]
        dls_name = {"x": "x" if self.sequence else "xt", "h0": "a0", "prev_h": "a_prev", "prev_c": "c_prev"}
        lstm_tmp = {"Wx": "W_xt_cols", "Wh": "W_a_cols", "b": "b_cols"}
        for name, _ in self.ref.inputs:
            shape = shapes[name]
            draw = cases._RECIPES.get(name, cases._DEFAULT)[1].format(s=shape, s0=shape[0])
            if name in dls_name:
                t = ".transpose(2, 0, 1)" if len(shape) == 3 else ".T"
                lines.append(f"{dls_name[name]}{s} = {draw}{t}")
            elif self.lstm:
                lines.append(f"{lstm_tmp[name]}{s} = {draw}")
            elif name == "b":
                lines.append(f"ba{s} = ({draw})[:, None]")
            else:
                lines.append(f"{'Wax' if name == 'Wx' else 'Waa'}{s} = ({draw}).T")
        if self.lstm:
            gates = ", ".join(f"W{g}{s}" for g in GATES)
            lines.append(f"{gates} = (np.concatenate([W_a_cols{s}[:, k * {H}:(k + 1) * {H}].T, "
                         f"W_xt_cols{s}[:, k * {H}:(k + 1) * {H}].T], axis=1) for k in range(4))")
            lines.append(f"{', '.join(f'b{g}{s}' for g in GATES)} = "
                         f"(b_cols{s}[k * {H}:(k + 1) * {H}, None] for k in range(4))")
        w = self.param_names[-2]
        lines.append(f"{w}{s} = rng.standard_normal({(Y, H)}) / np.sqrt({H})")
        lines.append(f"by{s} = 0.5 * rng.standard_normal({(Y, 1)})")
        if x_scale != 1.0:
            x = dls_name["x"]
            lines.append(f"{x}{s} = {x}{s} * {x_scale:g}")
        lines.append(f"parameters{s} = {{" + ", ".join(f'"{n}": {n}{s}' for n in self.param_names) + "}")
        return lines

    # ------------------------------------------------------------------ hints

    def forward_hint(self) -> str:
        if self.lstm:
            return ("concat = np.concatenate([a_prev, xt], axis=0) (a_prev on top); ft = sigmoid(Wf @ concat + bf), "
                    "it = sigmoid(Wi @ concat + bi), cct = np.tanh(Wc @ concat + bc), c_next = ft * c_prev + it * cct, "
                    "ot = sigmoid(Wo @ concat + bo), a_next = ot * np.tanh(c_next), yt_pred = softmax(Wy @ a_next + by) "
                    "over axis 0" + ("; loop over t = 0 .. T_x-1 with x[:, :, t], starting from a0 and c = zeros"
                                     if self.sequence else "."))
        return ("a_next = np.tanh(Waa @ a_prev + Wax @ xt + ba); yt_pred = softmax(Wya @ a_next + by), the softmax "
                "over axis 0 (the n_y classes of each example)" + (
                    "; loop over t = 0 .. T_x-1 with x[:, :, t], feeding each a_next into the next step"
                    if self.sequence else "."))

    def gradient_hint(self, name: str) -> str:
        if self.sequence:
            carry = ("At step t call the cell backward with da[:, :, t] + da_prevt (the da_prev that step t+1 sent back)"
                     + (" and dc_prevt" if self.lstm else "") + ", starting from zeros at t = T_x-1.")
            if name == "da0":
                return "da0 is the da_prev that comes out of the cell backward of step 0, after the whole loop. " + carry
            if name.startswith(("dW", "db")):
                return f"Accumulate {name} over ALL time steps (+=), not just one. " + carry
            return carry
        if self.lstm:
            if name in ("dc_prev",):
                return ("The cell gradient has two parts: dc = dc_next + da_next * ot * (1 - np.tanh(c_next)**2); "
                        "then dc_prev = dc * ft.")
            if name.startswith("dW"):
                return (f"{name} = d{name[2:]}_pre @ concat.T (the gate's pre-activation gradient times "
                        "concat = [a_prev; xt] transposed), shape (n_a, n_a + n_x).")
            if name.startswith("db"):
                return f"{name} = the gate's pre-activation gradient summed over the batch: .sum(axis=1, keepdims=True)."
            if name in ("dxt", "da_prev"):
                return ("Sum the four gates' Wg.T @ dg_pre; the first n_a rows of that belong to da_prev, the rest "
                        "to dxt.")
        dtanh = "dtanh = da_next * (1 - a_next**2)"
        return {"dxt": f"dxt = Wax.T @ dtanh with {dtanh}.",
                "da_prev": f"da_prev = Waa.T @ dtanh with {dtanh}: use a_next, not tanh(a_next).",
                "dWax": f"dWax = dtanh @ xt.T, shape (n_a, n_x), with {dtanh}.",
                "dWaa": f"dWaa = dtanh @ a_prev.T, shape (n_a, n_a), with {dtanh}.",
                "dba": "dba = np.sum(dtanh, axis=1, keepdims=True): sum over the batch, keep the column shape (n_a, 1)."
                }.get(name, "Go through the forward line by line in reverse and apply the chain rule to each line.")


def _fit(arr, shape):
    if arr.ndim != 2 or arr.shape[0] != shape[0]:
        raise ValueError("shape")
    return arr


def _to_ref_state(arr, sequence):
    if not isinstance(arr, np.ndarray):
        return None
    try:
        return arr.transpose(1, 2, 0) if sequence else arr.T
    except ValueError:
        return None


_RNN_P = ("Wax", "Waa", "Wya", "ba", "by")
_LSTM_P = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo", "Wy", "by")
# parameter shapes in the checks' dimension letters
_P_SHAPES = {"Wax": ("H", "D"), "Waa": ("H", "H"), "Wya": ("Y", "H"), "ba": ("H", "ONE"), "by": ("Y", "ONE"),
             "Wy": ("Y", "H"), **{f"W{g}": ("H", "HD") for g in GATES}, **{f"b{g}": ("H", "ONE") for g in GATES}}


def _params(names):
    # the order in which the draw fills them: Wy/Wya second to last, by last (see DlsLayer.draw)
    ordered = [n for n in names if n not in ("Wya", "Wy", "by")] + [n for n in names if n in ("Wya", "Wy")] + ["by"]
    return tuple((n, _P_SHAPES[n]) for n in ordered)


def _layer(exercise, forward, backward, ref, data, outputs, upstream, grads, params, gates, sequence, bparams):
    p = _params(params)
    return DlsLayer(exercise, forward, backward, data + p, outputs, gates, sequence, ref=LAYER_BY_FUNCTION[ref],
                    param_names=tuple(n for n, _ in p), upstream=upstream, grads=grads,
                    forward_params=tuple(n for n, _ in data) + ("parameters",), backward_params=bparams)


_RNN_G = (("dWax", "Wax"), ("dWaa", "Waa"), ("dba", "ba"))
_LSTM_G = tuple(("dW" + g, "W" + g) for g in LSTM_GATE_ORDER) + tuple(("db" + g, "b" + g) for g in LSTM_GATE_ORDER)

DLS_LAYERS: tuple[DlsLayer, ...] = (
    _layer("dls_rnn", "rnn_cell_forward", "rnn_cell_backward", "rnn_step_forward",
           (("xt", ("D", "N")), ("a_prev", ("H", "N"))), (("a_next", ("H", "N")), ("yt_pred", ("Y", "N"))),
           ("da_next",), (("dxt", "xt"), ("da_prev", "a_prev")) + _RNN_G, _RNN_P, 1, False, ("da_next", "cache")),
    _layer("dls_rnn", "rnn_forward", "rnn_backward", "rnn_forward",
           (("x", ("D", "N", "T")), ("a0", ("H", "N"))), (("a", ("H", "N", "T")), ("y_pred", ("Y", "N", "T"))),
           ("da",), (("dx", "x"), ("da0", "a0")) + _RNN_G, _RNN_P, 1, True, ("da", "caches")),
    _layer("dls_lstm", "lstm_cell_forward", "lstm_cell_backward", "lstm_step_forward",
           (("xt", ("D", "N")), ("a_prev", ("H", "N")), ("c_prev", ("H", "N"))),
           (("a_next", ("H", "N")), ("c_next", ("H", "N")), ("yt_pred", ("Y", "N"))),
           ("da_next", "dc_next"), (("dxt", "xt"), ("da_prev", "a_prev"), ("dc_prev", "c_prev")) + _LSTM_G,
           _LSTM_P, 4, False, ("da_next", "dc_next", "cache")),
    _layer("dls_lstm", "lstm_forward", "lstm_backward", "lstm_forward",
           (("x", ("D", "N", "T")), ("a0", ("H", "N"))),
           (("a", ("H", "N", "T")), ("y", ("Y", "N", "T")), ("c", ("H", "N", "T"))),
           ("da",), (("dx", "x"), ("da0", "a0")) + _LSTM_G, _LSTM_P, 4, True, ("da", "caches")),
)
DLS_LAYER_BY_FUNCTION = {f: layer for layer in DLS_LAYERS for f in (layer.forward, layer.backward)}
DLS_FUNCTIONS = tuple(DLS_LAYER_BY_FUNCTION)
# names only the DLS API has (rnn_forward, rnn_backward, lstm_forward, lstm_backward are in both)
DLS_ONLY = ("rnn_cell_forward", "rnn_cell_backward", "lstm_cell_forward", "lstm_cell_backward")


def detect_api(functions, source: str = "") -> str:
    """'dls' when a DLS-only function is defined and no CS231n-only one is, else 'cs231n'.

    ``functions``: the names the worker reported at import; ``source`` (the file's text, never
    executed) is used only when the submission could not be imported."""
    from .spec import PARAMETERS

    names = set(functions or ())
    if not names and source:
        names = set(re.findall(r"^\s*def\s+(\w+)\s*\(", source, re.M))
    cs231n_only = set(PARAMETERS) - set(DLS_FUNCTIONS)
    return API if names & set(DLS_ONLY) and not names & cs231n_only else "cs231n"
