"""One concrete hint for each kind of failure a student can hit.

Hints for exceptions are keyed on the exception type and message (a shape mismatch reads very
differently from a Python 2 habit); hints for wrong gradients are keyed on the function and the
array that is wrong, because that narrows the bug to one or two lines of BPTT.
"""

from __future__ import annotations

import re

from ..loader import NUMPY2_REMOVED

_ERROR_HINTS: list[tuple[str, re.Pattern, str]] = [
    ("", re.compile(r"could not be broadcast|not aligned|matmul: Input operand|size \d+ is different from"),
     "A shape mismatch: write the shape next to every line (x is (N, D), Wx is (D, H), dnext_h is (N, H)) "
     "and check which operand needs a transpose."),
    ("TypeError", re.compile(r"indices must be integers or slices, not str"),
     "A tuple or list is indexed with a string: a function returns a tuple where the caller expects a dict "
     "(or reads a cache as if it were a dict); return and unpack the same structure."),
    ("TypeError", re.compile(r"slice indices must be integers|indices must be integers"),
     "Use // for integer division (H4 // 4): in Python 3, / always gives a float."),
    ("NameError", re.compile(r"xrange"), "xrange is Python 2: use range."),
    ("ValueError", re.compile(r"too many values to unpack|not enough values to unpack"),
     "Your backward unpacks the cache differently from how your forward built it: make them match."),
    ("ValueError", re.compile(r"cannot reshape|squeeze"),
     "Reshape with explicit sizes, and avoid np.squeeze without an axis: it also removes a batch of size 1."),
    ("IndexError", re.compile(r""), "An index is out of range: loop over range(T) and slice the gates in H-wide blocks."),
    ("MemoryError", re.compile(r""), "Your code ran out of memory: avoid building arrays much larger than the inputs."),
    ("SystemExit", re.compile(r""), "Do not call sys.exit() or exit() in your functions; return the values instead."),
    ("ImportError", re.compile(r"not allowed"), "Use numpy only: the exercise is to write the maths yourself."),
    ("ModuleNotFoundError", re.compile(r""), "Only numpy and the standard library are available to your code."),
    ("RecursionError", re.compile(r""), "A function calls itself without end: loop over time steps instead."),
    ("KeyError", re.compile(r""), "A dictionary key is missing: check the names you store in and read from your cache."),
]


def error_hint(exc_type: str, exc_msg: str, code: str = "") -> str:
    """The hint for an exception; ``code`` is the student's line that raised it, if known."""
    if "squeeze(" in code and "axis" not in code:
        return ("np.squeeze without an axis also removes a batch (or time) dimension of size 1: "
                "index or reshape explicitly, or pass axis=.")
    if exc_type == "AttributeError":
        m = re.search(r"module 'numpy' has no attribute '(\w+)'|`np\.(\w+)` was removed", exc_msg)
        name = m and (m.group(1) or m.group(2))
        if name in NUMPY2_REMOVED:
            return f"np.{name} was removed in NumPy 2: use {NUMPY2_REMOVED[name]}."
        if "'NoneType'" in exc_msg:
            return "Something you use is None: a helper that forgets to return, or a cache field never filled in."
    if exc_type == "NameError":
        m = re.search(r"name '(\w+)' is not defined", exc_msg)
        if m and m.group(1) != "xrange":
            return f"{m.group(1)} is not defined where it is used: define it, import it, or unpack it from the cache."
    for typ, pattern, hint in _ERROR_HINTS:
        if (not typ or typ == exc_type) and pattern.search(exc_msg):
            return hint
    return "Call the function yourself with inputs of these shapes and read the traceback in your file."


_CARRY = ("The gradient reaching h_t is dh[:, t] PLUS the gradient flowing back from step t+1: carry dprev_h "
          "from one step to the next (and dprev_c for the LSTM), starting from zeros at the last step.")
_SEQ_WEIGHTS = "Accumulate dWx, dWh and db over ALL time steps (+=), not just the last one."
_H0 = "dh0 is the dprev_h that comes out of the backward of step 0, after the whole loop."

_GRADIENT_HINTS = {
    ("rnn_step_backward", "dx"): "dx = da @ Wx.T, where da = dnext_h * (1 - next_h**2) is the gradient at the pre-activation.",
    ("rnn_step_backward", "dprev_h"): "dprev_h = da @ Wh.T with da = dnext_h * (1 - next_h**2): use next_h, not tanh(next_h).",
    ("rnn_step_backward", "dWx"): "dWx = x.T @ da, shape (D, H); da = dnext_h * (1 - next_h**2).",
    ("rnn_step_backward", "dWh"): "dWh = prev_h.T @ da, shape (H, H); da = dnext_h * (1 - next_h**2).",
    ("rnn_step_backward", "db"): "db = da.sum(axis=0): sum over the batch.",
    ("lstm_step_backward", "dprev_c"): "dnext_c gets a second term from dnext_h: dc = dnext_c + dnext_h * o * (1 - tanh(next_c)**2); then dprev_c = dc * f.",
    ("lstm_step_backward", "db"): "db is the gate pre-activation gradient summed over the batch, blocks in the order i, f, o, g.",
    ("gru_step_backward", "dprev_h"): "prev_h reaches next_h three ways: directly through z, through the gates r and z, and through r * prev_h inside the candidate.",
}


def gradient_hint(function: str, array: str, sequence: bool) -> str:
    if (function, array) in _GRADIENT_HINTS:
        return _GRADIENT_HINTS[(function, array)]
    if sequence:
        if array == "dh0":
            return _H0 + " " + _CARRY
        if array in ("dWx", "dWh", "db"):
            return _SEQ_WEIGHTS + " " + _CARRY
        return _CARRY
    if array in ("dWx", "dWh"):
        return f"{array} is the input of that product, transposed, times the pre-activation gradient, e.g. dWx = x.T @ da."
    if array == "db":
        return "db is the pre-activation gradient summed over the batch (axis 0)."
    return "Go through the forward line by line in reverse and apply the chain rule to each line."


def forward_hint(function: str) -> str:
    if function.startswith("lstm"):
        return ("Split a = x @ Wx + prev_h @ Wh + b into four H-wide blocks in the order i, f, o, g; "
                "sigmoid on i, f, o and tanh on g; next_c = f * prev_c + i * g; next_h = o * tanh(next_c).")
    if function.startswith("gru"):
        return ("Blocks r, z, n: the reset gate multiplies prev_h BEFORE the matmul with Wh_n, "
                "and next_h = z * prev_h + (1 - z) * n.")
    return "next_h = np.tanh(x @ Wx + prev_h @ Wh + b); for a sequence feed each step's output into the next step."
