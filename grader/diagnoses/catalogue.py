"""The catalogue of named mistakes: what a student reads when the evidence fits.

Each entry has a stable id (used in results JSON, the class summary and the docs), a title, an
explanation a student understands and the fix. The evidence for each lives in ``detect.py``;
docs/diagnoses.md is generated from this table (``python -m grader.diagnoses.docs``). To add an
entry: add it here, add a detector (a mutant of the reference that makes exactly that mistake,
or a signature in the numbers), and two independently written buggy submissions under
``tests/zoo/diagnoses/`` that must receive it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    explanation: str
    fix: str


_ENTRIES = [
    Entry("no-bptt-carry", "No gradient carried between time steps",
          "Your sequence backward treats every time step on its own: the gradient reaching h_t should be the "
          "upstream dh[:, t] PLUS the gradient that step t+1 sends back through h_t (and through c_t for the LSTM). "
          "Without it, only the last step's gradient is right and earlier steps miss everything that flows back "
          "through time.",
          "Keep dprev_h (and dprev_c) from the step you just processed and add it to dh[:, t] before calling the "
          "step backward; start from zeros at t = T-1."),
    Entry("upstream-ignored", "The upstream gradient dh is ignored",
          "Your backward behaves as if every entry of dh were 1: it starts from ones instead of the gradient it was "
          "given. A backward must multiply by the upstream gradient it receives; the grader passes a random dh.",
          "Use dh[:, t] (the argument) as the upstream gradient of step t, not np.ones_like(...)."),
    Entry("dh0-missing", "dh0 is never filled in",
          "Your backward returns zeros for dh0, the gradient with respect to the initial hidden state, although the "
          "other gradients are right. dh0 is what flows out of the backward of step 0.",
          "After the loop over time, return the dprev_h that the backward of step 0 produced as dh0."),
    Entry("activation-derivative-wrong", "Derivative of the activation taken of the wrong quantity",
          "The derivative of an activation is applied to the wrong value: for next_h = tanh(a) it is 1 - next_h**2 "
          "(next_h is already tanh(a); 1 - tanh(next_h)**2 applies tanh twice), and for s = sigmoid(a) it is "
          "s * (1 - s) on the sigmoid OUTPUT, not a * (1 - a) on the pre-activation.",
          "Store the activation outputs in the cache and use 1 - h**2 for tanh and s * (1 - s) for sigmoid."),
    Entry("lstm-gate-order", "LSTM gate blocks in PyTorch's order (i, f, g, o)",
          "You split the LSTM pre-activation in the order i, f, g, o. That is a real convention: PyTorch's nn.LSTM "
          "(and cuDNN) store the blocks that way. This exercise follows CS231n and expects i, f, o, g: the third "
          "H-wide block is the output gate o and the fourth is the candidate g. With the other order your numbers "
          "are consistent but answer a differently laid-out weight matrix.",
          "Read a[:, :H] as i, a[:, H:2H] as f, a[:, 2H:3H] as o and a[:, 3H:] as g, in forward and backward."),
    Entry("lstm-cell-grad-missing-h-path", "dprev_c ignores the path through next_h",
          "next_h = o * tanh(next_c) depends on next_c, so the gradient reaching the cell is dnext_c PLUS "
          "dnext_h * o * (1 - tanh(next_c)**2). Your dprev_c uses dnext_c alone, so the cell gradient loses the "
          "part that came through the hidden state.",
          "Compute dc = dnext_c + dnext_h * o * (1 - tanh(next_c)**2) first, then dprev_c = dc * f."),
    Entry("gru-reset-after", "GRU in the \"reset after\" convention (PyTorch / cuDNN / Keras default)",
          "Your GRU applies the reset gate AFTER the matrix product: n = tanh(x @ Wx_n + r * (prev_h @ Wh_n) + b_n). "
          "That is a real convention: PyTorch's nn.GRU, cuDNN and Keras (reset_after=True, the default) use it. This "
          "exercise follows Cho et al. (2014) and d2l: the reset gate multiplies prev_h BEFORE the product, "
          "n = tanh(x @ Wx_n + (r * prev_h) @ Wh_n + b_n).",
          "Compute (r * prev_h) @ Wh_n instead of r * (prev_h @ Wh_n), in forward and backward."),
    Entry("gru-update-swapped", "GRU update gate on the candidate (Chung et al. / Coursera convention)",
          "Your GRU uses next_h = (1 - z) * prev_h + z * n. That is a real convention: Chung et al. (2014) and the "
          "Coursera sequence-models lectures write it this way. This exercise follows Cho et al. (2014), PyTorch, "
          "Keras and d2l, where z keeps the old state: next_h = z * prev_h + (1 - z) * n.",
          "Swap the roles: next_h = z * prev_h + (1 - z) * n, and the matching gradients."),
    Entry("transposed-weight-grad", "A weight gradient is transposed",
          "One of your weight gradients equals the expected one transposed. For out = inp @ W the gradient is "
          "dW = inp.T @ dout, shape (inputs, outputs), the same shape as W; dout.T @ inp gives its transpose.",
          "Write dW = inp.T @ dout (e.g. dWh = prev_h.T @ da) and check that dW.shape == W.shape."),
    Entry("bias-grad-not-summed", "The bias gradient is not summed over the batch",
          "The same bias is added to every sample, so its gradient is the SUM over the batch of the pre-activation "
          "gradients. Yours is the mean, one sample's, or not reduced at all.",
          "Use db = da.sum(axis=0)."),
    Entry("weight-grad-last-step-only", "Weight gradients hold one time step instead of all",
          "The weights are shared by every time step, so dWx, dWh and db are sums over all steps. Yours equal the "
          "contribution of a single step: usually `dWx = ...` where `dWx += ...` was meant, inside the loop over "
          "time.",
          "Initialise dWx, dWh, db to zeros before the loop and accumulate with += at every step."),
    Entry("unstable-activation", "An activation that overflows on large inputs",
          "A hand-written tanh or sigmoid built from np.exp overflows once its input is large (|x| > ~355 for "
          "(exp(x)-exp(-x))/(exp(x)+exp(-x)), x > ~709 for exp(x)/(1+exp(x))) and then returns NaN. Real training "
          "reaches such pre-activations; np.tanh and a stable sigmoid never do.",
          "Use np.tanh, and a stable sigmoid: 1/(1+np.exp(-x)) for x >= 0 and np.exp(x)/(1+np.exp(x)) for x < 0."),
    Entry("batch-of-one", "Breaks when the batch has one sample",
          "Your function is right for larger batches but fails or changes shape when N = 1. The usual cause is "
          "np.squeeze without an axis, which also removes the batch dimension (or T, D or H when they are 1).",
          "Index explicitly (x[:, t, :]) or reshape with explicit sizes; pass axis= to np.squeeze if you must use it."),
    Entry("mutates-input", "Modifies an input array in place",
          "Your function changes an array it was given (for example `dh[:, t] += ...` or `dnext_c += ...`). The "
          "grader passed a copy, so your values were graded correctly, but a caller that reuses its arrays (a "
          "training loop, a gradient check) gets silently wrong numbers.",
          "Copy before modifying (`dh = dh.copy()`) or write `d = dh[:, t] + dnext` into a new array."),
    Entry("shared-state", "State kept between calls outside the cache",
          "Your functions keep state between calls (a module-level variable or list) instead of passing it through "
          "the cache. Two forwards followed by their two backwards in reverse order then give wrong gradients, and "
          "repeated calls can disagree.",
          "Put everything the backward needs into the cache the forward returns, and keep no global state."),
    Entry("clip-per-tensor", "Norm clipping per array instead of one global norm",
          "clip_grad_norm must measure ONE L2 norm over all arrays together and scale every array by the same "
          "factor max_norm / total_norm (Pascanu et al. 2013), which keeps the direction of the whole gradient. "
          "Scaling each array by its own norm changes that direction.",
          "total = sqrt(sum of (g**2).sum() over all arrays); if total > max_norm multiply every array by max_norm / total."),
    Entry("tbptt-off-by-one", "Truncation window off by one step",
          "Your truncated backward lets each loss reach one step too many or too few: with window k the loss at "
          "step t must reach h_s exactly for t - k <= s <= t (h0 counts as step -1), so k = 0 passes nothing "
          "between steps.",
          "Backpropagate each dh[:, t] through steps t, t-1, ..., max(t - truncate, 0), and into dh0 only if t + 1 <= truncate."),
    Entry("float32-precision", "Computed in float32",
          "Your arrays are float32, or lost float32-level precision on the way (~1e-7 relative). The exercise, "
          "the reference and gradient checking need float64: finite differences are meaningless at float32 "
          "precision.",
          "Keep the inputs' dtype (float64): do not cast with astype(np.float32) or create float32 arrays."),
    Entry("forgot-bias", "The bias is missing from a pre-activation",
          "Your forward leaves out + b (entirely, or for one gate block), so its outputs equal the expected ones "
          "computed with a zero bias.",
          "Add b to the pre-activation: a = x @ Wx + prev_h @ Wh + b (all gate blocks)."),
]

CATALOGUE: dict[str, Entry] = {e.id: e for e in _ENTRIES}

# The same mistakes told in the Coursera DLS API's names and layout (grader/dls.py, docs/dls.md).
# A diagnosis whose evidence comes from a DLS submission uses these words; an entry missing here
# (a CS231n-only convention: gate order, GRU variants, clipping, truncation) is never given to one.
DLS_TEXT: dict[str, tuple[str, str]] = {
    "no-bptt-carry": (
        "Your backward treats every time step on its own: the gradient reaching a<t> is the upstream da[:, :, t] "
        "PLUS the da_prev that step t+1 sends back (and, for the LSTM, the cell gradient dc_prev as well). Without "
        "it only the last step's gradient is right. Some old versions of the official notebook did exactly this "
        "and printed its numbers as the \"expected output\": do not trust those tables.",
        "Keep da_prevt (and dc_prevt) from the step you just processed and call the cell backward with "
        "da[:, :, t] + da_prevt (and dc_prevt); both start from zeros at t = T_x-1."),
    "upstream-ignored": (
        "Your backward behaves as if every entry of da were 1: it starts from ones instead of the gradient it was "
        "given. The grader passes a random da.",
        "Use da[:, :, t] (the argument) as the upstream gradient of step t, not np.ones_like(...)."),
    "dh0-missing": (
        "Your backward returns zeros for da0, the gradient with respect to the initial hidden state, although the "
        "other gradients are right. da0 is what flows out of the cell backward of step 0.",
        "After the loop over time, return the da_prev that the cell backward of step 0 produced as da0."),
    "activation-derivative-wrong": (
        "The derivative of an activation is applied to the wrong value: for a_next = tanh(z) it is 1 - a_next**2 "
        "(a_next is already tanh(z)), and for a gate s = sigmoid(z) it is s * (1 - s) on the gate itself.",
        "Use dtanh = (1 - a_next**2) * da_next, and ft * (1 - ft), it * (1 - it), ot * (1 - ot) for the gates."),
    "lstm-cell-grad-missing-h-path": (
        "a_next = ot * tanh(c_next) depends on c_next, so the gradient reaching the cell is dc_next PLUS "
        "da_next * ot * (1 - tanh(c_next)**2). Your dc_prev uses dc_next alone.",
        "Compute dc = dc_next + da_next * ot * (1 - np.tanh(c_next)**2) first, then dc_prev = dc * ft."),
    "transposed-weight-grad": (
        "One of your weight gradients equals the expected one transposed. For z = W @ inp the gradient is "
        "dW = dz @ inp.T, the same shape as W.",
        "Write e.g. dWaa = dtanh @ a_prev.T and check that dWaa.shape == Waa.shape."),
    "bias-grad-not-summed": (
        "The same bias is added to every example, so its gradient is the SUM over the batch (axis 1) of the "
        "pre-activation gradients. Yours is the mean, one example's, or not reduced at all.",
        "Use e.g. dba = np.sum(dtanh, axis=1, keepdims=True)."),
    "weight-grad-last-step-only": (
        "The parameters are shared by every time step, so their gradients are sums over all steps. Yours equal "
        "the contribution of a single step: usually `dWax = ...` where `dWax += ...` was meant.",
        "Initialise the gradients to zeros before the loop and accumulate them with += at every step."),
    "unstable-activation": (CATALOGUE["unstable-activation"].explanation, CATALOGUE["unstable-activation"].fix),
    "batch-of-one": (
        "Your function is right for larger batches but fails or changes shape when m = 1. The usual cause is "
        "np.squeeze without an axis, which also removes the batch dimension.",
        "Index explicitly (x[:, :, t]) or reshape with explicit sizes; pass axis= to np.squeeze if you must use it."),
    "mutates-input": (
        "Your function changes an array it was given (for example `da[:, :, t] += ...` or `dc_next += ...`). The "
        "grader passed a copy, so your values were graded correctly, but a caller that reuses its arrays gets "
        "silently wrong numbers.",
        "Copy before modifying (`da = da.copy()`) or write the sum into a new array."),
    "shared-state": (CATALOGUE["shared-state"].explanation, CATALOGUE["shared-state"].fix),
    "float32-precision": (CATALOGUE["float32-precision"].explanation, CATALOGUE["float32-precision"].fix),
    "forgot-bias": (
        "Your forward leaves out a bias (ba, or one of bf, bi, bc, bo), so its outputs equal the expected ones "
        "computed with that bias set to zero.",
        "Add the bias to the pre-activation: a_next = np.tanh(Waa @ a_prev + Wax @ xt + ba); each LSTM gate "
        "adds its own b."),
}
